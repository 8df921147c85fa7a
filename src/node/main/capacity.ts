import type { SaleEngine } from '../../sale/engine.js';

/** This node cannot hold as many sales as the registry in Redis allows. */
export class CapacityError extends Error {}

/**
 * Every node must be able to hold every live sale: its --max-sales at least the registry's capacity (stored by
 * the first node or create). The check passes once and is not asked again; a refusal throws CapacityError.
 */
export function capacityCheck(engine: Pick<SaleEngine, 'registryCapacity'>, maxSales: number): () => Promise<void> {
  let ok = false;
  return async () => {
    if (ok) return;
    const capacity = await engine.registryCapacity(maxSales);
    if (capacity > maxSales) {
      throw new CapacityError(
        `the sale registry in Redis allows ${capacity} live sales but this node was started with --max-sales ${maxSales}: ` +
          `start it with --max-sales ${capacity} or more`,
      );
    }
    ok = true;
  };
}
