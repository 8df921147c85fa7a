import { ConfigError } from './errors.js';

/** Parses a flag or env value that must be an integer in [min, max]; the error names the option. */
export function intOption(option: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw.trim())) {
    throw new ConfigError(option, `expected a whole number between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  }
  const value = Number(raw.trim());
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(option, `expected a whole number between ${min} and ${max}, got ${raw}`);
  }
  return value;
}

export const SALE_ID_RE = /^[A-Za-z0-9_-]{1,48}$/;

export function saleIdOption(option: string, raw: string | undefined, fallback: string): string {
  const value = raw === undefined || raw === '' ? fallback : raw;
  if (!SALE_ID_RE.test(value)) {
    throw new ConfigError(option, `a sale id is 1-48 characters of A-Z a-z 0-9 _ -, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function redisUrlOption(option: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(option, `expected a URL like redis://127.0.0.1:6379, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError(option, `expected a redis:// or rediss:// URL, got ${JSON.stringify(raw)}`);
  }
  return raw;
}
