import type { SaleEngine } from '../../sale/engine.js';
import type { KeyedSaleStatus, SaleFacts } from '../../sale/types.js';

/** The engine's SaleStatus and order-id key in the registry's terms (0 = no opening / closing time -> null). */
export function factsOf({ status, idKey, board }: KeyedSaleStatus): SaleFacts {
  const facts: SaleFacts = {
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
    idKey,
    kind: status.kind,
  };
  if (status.train !== undefined) facts.train = status.train;
  if (board !== undefined) facts.board = board;
  if (status.queue !== undefined) facts.queue = status.queue;
  return facts;
}

export async function readFacts(engine: SaleEngine, id: string): Promise<SaleFacts | null> {
  const keyed = await engine.keyedStatus(id);
  return keyed === null ? null : factsOf(keyed);
}
