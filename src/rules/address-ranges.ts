/**
 * Client address ranges from flags: `up --ip-rate-exempt` (who nginx's per-address limits leave alone) and
 * `up --trusted-proxy` (whose X-Forwarded-For nginx believes). Each item is an IPv4 or IPv6 address or a CIDR;
 * they are written verbatim into nginx's `geo` block and `set_real_ip_from` lines, so this rule is also what
 * keeps anything but an address out of the rendered config.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Checked } from './input-rules.js';

/** Written instead of a list: no address at all. */
export const NO_ADDRESSES = 'none';
/** This machine: ab and wrk run here, and nginx must not take them for one abusive client. */
export const LOOPBACK_RANGES: readonly string[] = ['127.0.0.0/8', '::1'];

/** At most this many ranges per flag; each is one line of nginx config. */
export const MAX_RANGES = 256;
const SHAPE = 'an IPv4 or IPv6 address or CIDR, e.g. 10.0.0.0/8, 192.0.2.7 or 2001:db8::/32';

/** An address as 4 or 16 bytes, or null when `text` is not one (no zone ids, no leading zeros). */
function addressBytes(text: string): number[] | null {
  if (isIPv4(text)) {
    const parts = text.split('.');
    // 010 means 8 to some tools and 10 to others: refuse it rather than guess.
    if (parts.some((p) => p.length > 1 && p.startsWith('0'))) return null;
    return parts.map(Number);
  }
  if (!isIPv6(text) || text.includes('%')) return null;
  let groups = text;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4 !== null) {
    const tail = addressBytes(v4[1]);
    if (tail === null) return null;
    groups = text.slice(0, v4.index) + `${((tail[0] << 8) | tail[1]).toString(16)}:${((tail[2] << 8) | tail[3]).toString(16)}`;
  }
  const [head = '', rest] = groups.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const words = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right].map((w) => parseInt(w, 16));
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

export interface AddressRange {
  /** As written (trimmed): what goes into nginx.conf. */
  text: string;
  bytes: number[];
  /** Leading bits that name the network; the address length for a single address. */
  prefix: number;
}

/** One address or CIDR; the problem says what to write instead. */
export function checkAddressRange(raw: string): Checked<AddressRange> {
  const text = raw.trim();
  if (text === '') return { ok: false, problem: `is empty: send ${SHAPE}` };
  if (text.length > 49) return { ok: false, problem: `${JSON.stringify(text.slice(0, 49))}... is too long: send ${SHAPE}` };
  const [address = '', bits, extra] = text.split('/');
  const bytes = addressBytes(address);
  if (bytes === null || extra !== undefined) return { ok: false, problem: `${JSON.stringify(text)} is not ${SHAPE}` };
  const width = bytes.length * 8;
  if (bits !== undefined && !/^(0|[1-9]\d{0,2})$/.test(bits)) return { ok: false, problem: `${JSON.stringify(text)}: the prefix after / must be a whole number from 0 to ${width}` };
  const prefix = bits === undefined ? width : Number(bits);
  if (prefix > width) return { ok: false, problem: `${JSON.stringify(text)}: the prefix after / must be a whole number from 0 to ${width}` };
  const network = bytes.map((b, i) => b & maskByte(prefix, i));
  if (network.some((b, i) => b !== bytes[i])) {
    // nginx would only warn and drop the bits; say which network was meant instead.
    return { ok: false, problem: `${JSON.stringify(text)} has bits set beyond its /${prefix}: write ${formatNetwork(network, prefix)}` };
  }
  return { ok: true, value: { text, bytes, prefix } };
}

/** The mask of byte `i` of a /prefix network. */
function maskByte(prefix: number, i: number): number {
  const bits = Math.max(0, Math.min(8, prefix - i * 8));
  return (0xff << (8 - bits)) & 0xff;
}

function formatNetwork(bytes: number[], prefix: number): string {
  if (bytes.length === 4) return `${bytes.join('.')}/${prefix}`;
  const words = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16));
  // The longest run of two or more zero words becomes "::" (RFC 5952).
  let start = -1;
  let length = 0;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > Math.max(1, length)) [start, length] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const text = start < 0 ? words.join(':') : `${words.slice(0, start).join(':')}::${words.slice(start + length).join(':')}`;
  return `${text}/${prefix}`;
}

/** `none`, or comma-separated addresses and CIDRs, each checked; duplicates are dropped. */
export function checkAddressRanges(text: string): Checked<string[]> {
  if (text.trim() === NO_ADDRESSES) return { ok: true, value: [] };
  const items = text.split(',');
  if (items.length > MAX_RANGES) return { ok: false, problem: `has ${items.length} ranges: at most ${MAX_RANGES} (use wider CIDRs)` };
  const out: string[] = [];
  for (const [i, item] of items.entries()) {
    const range = checkAddressRange(item);
    if (!range.ok) return { ok: false, problem: `item ${i + 1}: ${range.problem} (or ${NO_ADDRESSES} for no address)` };
    if (!out.includes(range.value.text)) out.push(range.value.text);
  }
  return { ok: true, value: out };
}

/**
 * The proxies whose X-Forwarded-For names the client. A /0 would believe the header from anyone: every client
 * could then pick its own address and walk around the per-address limits, so it is refused.
 */
export function checkTrustedProxies(text: string): Checked<string[]> {
  const ranges = checkAddressRanges(text);
  if (!ranges.ok) return ranges;
  const everyone = ranges.value.find((r) => r.endsWith('/0'));
  if (everyone !== undefined) {
    return { ok: false, problem: `${everyone} trusts every address, so any client could choose its own address with X-Forwarded-For: name only the load balancers' addresses or CIDRs` };
  }
  return ranges;
}

/** Whether `address` (an IPv4 or IPv6 address) lies in one of `ranges` (checked ranges). */
export function rangesContain(ranges: readonly string[], address: string): boolean {
  const bytes = addressBytes(address);
  if (bytes === null) return false;
  return ranges.some((text) => {
    const range = checkAddressRange(text);
    if (!range.ok || range.value.bytes.length !== bytes.length) return false;
    return range.value.bytes.every((b, i) => (bytes[i] & maskByte(range.value.prefix, i)) === b);
  });
}
