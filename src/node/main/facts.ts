import type { SaleEngine } from '../../sale/engine.js';
import type { SaleFacts, SaleStatus } from '../../sale/types.js';

/** The engine's SaleStatus in the registry's terms (0 = no opening / closing time -> null). */
export function factsOf(status: SaleStatus): SaleFacts {
  return {
    id: status.id,
    total: status.total,
    held: status.held,
    paid: status.paid,
    remaining: status.remaining,
    open: status.open,
    paused: status.paused,
    state: status.state,
    perUserLimit: status.perUserLimit,
    holdSeconds: status.holdSeconds,
    anonymous: status.anonymous,
    opensAt: status.opensAt > 0 ? status.opensAt : null,
    closesAt: status.closesAt > 0 ? status.closesAt : null,
    ordersMade: status.ordersMade,
    checkedIn: status.checkedIn,
  };
}

export async function readFacts(engine: SaleEngine, id: string): Promise<SaleFacts | null> {
  const status = await engine.status(id);
  return status === null ? null : factsOf(status);
}
