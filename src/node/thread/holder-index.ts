import type { HolderIndex } from '../../sale/purchase-desk.js';
import type { OrdersSeen } from '../../sale/orders-seen.js';
import type { HolderSnapshot, SaleInfo } from '../../sale/types.js';

interface SaleHolders {
  ordersMade: number;
  users: Set<string>;
  keys: Set<string>;
}

/**
 * One uWS thread's copy of who may hold something in each sold-out sale, sent by the main thread
 * (node/main/holder-sync.ts). A copy counts only while no thread of the node has seen more orders made than it
 * was read at (OrdersSeen); until a current one arrives every buyer of the sale goes to Redis.
 */
export class ThreadHolderIndex implements HolderIndex {
  private readonly bySale = new Map<string, SaleHolders>();

  constructor(private readonly ordersSeen: OrdersSeen) {}

  mayHold(sale: SaleInfo, user: string, scopedKey: string): boolean {
    const holders = this.bySale.get(sale.id);
    if (holders === undefined || holders.ordersMade < this.ordersSeen.get(sale.slot)) return true;
    return (user !== '' && holders.users.has(user)) || (scopedKey !== '' && holders.keys.has(scopedKey));
  }

  forget(saleId: string): void {
    this.bySale.delete(saleId);
  }

  learned(saleId: string, snapshot: HolderSnapshot): void {
    const known = this.bySale.get(saleId);
    if (known !== undefined && known.ordersMade > snapshot.ordersMade) return; // an older snapshot arrived late
    this.bySale.set(saleId, { ordersMade: snapshot.ordersMade, users: new Set(snapshot.users), keys: new Set(snapshot.keys) });
  }
}
