import { checkAddressRanges, checkTrustedProxies, LOOPBACK_RANGES } from '../rules/address-ranges.js';

/** What nginx's per-address limits are rendered from (`up --ip-rate/--ip-burst/--ip-rate-exempt/--trusted-proxy`). */
export interface AddressLimitOptions {
  /** Purchase requests a second per client address (limit_req); 0 or absent = no purchase limit. */
  ipRate?: number;
  /** Requests per address answered at once above the rate (limit_req burst, nodelay). */
  ipBurst?: number;
  /** Client addresses no per-address limit applies to; default: loopback (ab and wrk on this machine). */
  rateExempt?: readonly string[];
  /** Proxies whose X-Forwarded-For names the client; default none (the client is the TCP peer). */
  trustedProxies?: readonly string[];
}

/**
 * The template's placeholders for the per-address limits: the purchase zone and its limit_req, the geo
 * entries of the exempt addresses, and the real_ip lines. The other zones (/orders/, /tickets/, /admin/, the
 * open-request cap) are fixed in nginx/nginx.conf, where their numbers are explained; all of them share one
 * key, `$limit_key`, empty for an exempt client (nginx accounts no request whose key is empty).
 */
export function addressLimitPlaceholders(options: AddressLimitOptions): Record<string, string> {
  const ipRate = options.ipRate ?? 0;
  const ipBurst = options.ipBurst ?? 0;
  if (!Number.isInteger(ipRate) || ipRate < 0) throw new RangeError(`renderNginxConf: ipRate must be a whole number >= 0, got ${ipRate}`);
  if (!Number.isInteger(ipBurst) || ipBurst < 0) throw new RangeError(`renderNginxConf: ipBurst must be a whole number >= 0, got ${ipBurst}`);
  const exempt = checked('rateExempt', options.rateExempt ?? LOOPBACK_RANGES, checkAddressRanges);
  const trusted = checked('trustedProxies', options.trustedProxies ?? [], checkTrustedProxies);
  return {
    IP_LIMIT_ZONE: ipRate === 0 ? '    # --ip-rate 0: no per-address purchase limit' : `    limit_req_zone $limit_key zone=per_address:10m rate=${ipRate}r/s;`,
    // nginx refuses `burst=0`; no burst is written as none.
    IP_LIMIT: ipRate === 0 ? '' : `            limit_req zone=per_address${ipBurst === 0 ? '' : ` burst=${ipBurst}`} nodelay;`,
    RATE_EXEMPT: exempt.length === 0 ? '        # --ip-rate-exempt none: every address is limited' : exempt.map((r) => `        ${r} 1;`).join('\n'),
    REAL_IP:
      trusted.length === 0
        ? '    # No --trusted-proxy: the client address is the TCP peer; an X-Forwarded-For header is not believed.'
        : [...trusted.map((r) => `    set_real_ip_from ${r};`), '    real_ip_header X-Forwarded-For;', '    real_ip_recursive on;'].join('\n'),
  };
}

/** Every range goes into nginx.conf verbatim: anything but an address is a bug of the caller, refused here. */
function checked(what: string, ranges: readonly string[], rule: (text: string) => { ok: true; value: string[] } | { ok: false; problem: string }): string[] {
  if (ranges.length === 0) return [];
  const result = rule(ranges.join(','));
  if (!result.ok) throw new RangeError(`renderNginxConf: ${what} ${result.problem}`);
  return result.value;
}
