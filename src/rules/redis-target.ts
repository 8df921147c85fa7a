/**
 * Where the authority is, as one string that every flag, variable and up.json field carries (REDIS_URL):
 *   redis://[:password@]host:port[/db]                          one Redis (or rediss:// with TLS)
 *   redis-sentinel://[:password@]host:port,host:port,.../NAME   the master Sentinel names NAME, found through any
 *                                                               of those Sentinels; the password is the data nodes'
 *                                                               (and the Sentinels', when they have one)
 * `--redis-sentinels host:port,... --redis-master-name NAME` (REDIS_SENTINELS, REDIS_MASTER_NAME) make the second
 * form (src/config/node-config.ts), so nothing between the flags and connectRedis needs a second field.
 */
export type ParsedRedisTarget =
  | { kind: 'url'; url: string }
  | { kind: 'sentinel'; sentinels: { host: string; port: number }[]; masterName: string; password?: string };

export const SENTINEL_SCHEME = 'redis-sentinel://';

/** A Sentinel master name: what `sentinel monitor` accepts and a URL path can carry without escaping. */
const MASTER_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const HOST_PORT = /^([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]):(\d{1,5})$/;

/** host:port,host:port -> addresses, or a message that says what is wrong. */
export function parseAddressList(text: string): { host: string; port: number }[] | string {
  const items = text.split(',').map((s) => s.trim());
  const out: { host: string; port: number }[] = [];
  for (const item of items) {
    const m = HOST_PORT.exec(item);
    const port = m === null ? NaN : Number(m[2]);
    if (m === null || !(port >= 1 && port <= 65535)) return `expected host:port[,host:port...], got ${JSON.stringify(item)}`;
    out.push({ host: m[1].replace(/^\[|\]$/g, ''), port });
  }
  return out.length === 0 ? 'expected at least one host:port' : out;
}

/** The target a string names, or a message that says what to send instead. */
export function parseRedisTarget(text: string): ParsedRedisTarget | string {
  if (text.startsWith(SENTINEL_SCHEME)) {
    const rest = text.slice(SENTINEL_SCHEME.length);
    const slash = rest.lastIndexOf('/');
    if (slash < 0) return `expected ${SENTINEL_SCHEME}host:port,.../MASTER_NAME, got no master name`;
    const name = rest.slice(slash + 1);
    if (!MASTER_NAME.test(name)) return `the Sentinel master name must be 1-64 of [A-Za-z0-9._-], got ${JSON.stringify(name)}`;
    let hosts = rest.slice(0, slash);
    let password: string | undefined;
    const at = hosts.lastIndexOf('@');
    if (at >= 0) {
      const userinfo = hosts.slice(0, at);
      hosts = hosts.slice(at + 1);
      const colon = userinfo.indexOf(':');
      password = decodeURIComponent(colon >= 0 ? userinfo.slice(colon + 1) : userinfo);
    }
    const sentinels = parseAddressList(hosts);
    if (typeof sentinels === 'string') return `the Sentinels: ${sentinels}`;
    return { kind: 'sentinel', sentinels, masterName: name, ...(password !== undefined && password !== '' ? { password } : {}) };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `expected a URL like redis://127.0.0.1:6379 (or ${SENTINEL_SCHEME}host:port,.../NAME), got ${JSON.stringify(text)}`;
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    return `expected a redis://, rediss:// or ${SENTINEL_SCHEME} URL, got ${JSON.stringify(text)}`;
  }
  return { kind: 'url', url: text };
}

/** The string form of a Sentinel target (the password percent-encoded). */
export function sentinelTarget(sentinels: { host: string; port: number }[], masterName: string, password?: string): string {
  const auth = password === undefined || password === '' ? '' : `:${encodeURIComponent(password)}@`;
  const hosts = sentinels.map((s) => `${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}`).join(',');
  return `${SENTINEL_SCHEME}${auth}${hosts}/${masterName}`;
}

/** The target with its password replaced by *** (for logs and messages). */
export function redactRedisTarget(text: string): string {
  if (text.startsWith(SENTINEL_SCHEME)) return text.replace(/^(redis-sentinel:\/\/)[^@/]*@/, '$1***@');
  try {
    const url = new URL(text);
    if (url.password === '') return text;
    url.password = '***';
    return url.toString();
  } catch {
    return text.replace(/\/\/[^@/]*@/, '//***@');
  }
}
