import { EngineError } from '../redis/codes.js';
import type { SaleEngine } from './engine.js';
import type { SaleConfig } from './types.js';

/**
 * Creates a sale, unless PostgreSQL (`storeHasSale`, null: no database) knows a sale of that id that Redis does
 * not: then Redis lost it, its orders are in PostgreSQL, and a fresh sale with its full stock would sell every sold
 * seat a second time. Refused with ERR_SALE_IN_STORE, naming `ticket-spike sale restore` (issue 19). One sale that
 * Redis has is 'exists', as always. Used by the admin route, `up`'s demo sale and `sale create`.
 */
export async function createUnlessLost(
  engine: SaleEngine,
  storeHasSale: ((saleId: string) => Promise<boolean>) | null,
  config: SaleConfig,
  capacity?: number,
): Promise<'created' | 'exists'> {
  if (storeHasSale !== null && (await engine.status(config.id)) === null && (await storeHasSale(config.id))) {
    throw new EngineError(
      'ERR_SALE_IN_STORE',
      `sale ${config.id} is not in Redis but PostgreSQL has it (Redis lost it): rebuild it with \`ticket-spike sale restore --sale ${config.id}\`, or pick another id`,
    );
  }
  return engine.createSale(config, capacity);
}
