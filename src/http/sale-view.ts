import type { SaleStatus } from '../sale/types.js';

/** A sale's status as the HTTP API shows it: times as ISO 8601 (null = none), everything else as the engine reads it. */
export function saleView(status: SaleStatus): Record<string, unknown> {
  const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : null);
  return { ...status, opensAt: iso(status.opensAt), closesAt: iso(status.closesAt), createdAt: iso(status.createdAt) };
}
