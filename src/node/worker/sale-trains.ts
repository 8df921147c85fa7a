import type { SaleEngine } from '../../sale/engine.js';
import { trainView, type TrainView } from '../../sale/train-catalogue.js';

/**
 * Each sale's train (its route and seat catalogue, which never change), read once per sale and kept; null for a
 * counter sale. A read that fails is not kept: the batch fails and is tried again.
 */
export function trainsOf(engine: SaleEngine): (sale: string) => Promise<TrainView | null> {
  const known = new Map<string, TrainView | null>();
  return async (sale) => {
    const cached = known.get(sale);
    if (cached !== undefined) return cached;
    const status = await engine.status(sale);
    const view = status?.train === undefined ? null : trainView(status.train);
    if (status !== null) known.set(sale, view);
    return view;
  };
}
