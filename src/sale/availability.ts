import { SeatBoard } from './seat-board.js';
import type { TrainInfo } from './types.js';

/** Seats left per class for one pair of stations. */
export interface PairAvailability {
  from: string;
  to: string;
  classes: Record<string, number>;
}

/**
 * What GET /sales/{id}/availability answers, from the node's seat board alone (no Redis): seats left per class
 * for one pair, or for every pair; exact as of the newest seat-book version the node has seen.
 */
export type AvailabilityAnswer =
  | { kind: 'pair'; version: number; pair: PairAvailability }
  | { kind: 'pairs'; version: number; pairs: PairAvailability[] }
  /** A station name not on the route, or to not after from: `problem` says what to send. */
  | { kind: 'bad_pair'; problem: string }
  /** The node has not read the seat book yet (just registered, or a new Redis master), or a write kept the board busy: retry. */
  | { kind: 'not_ready' };

export function availabilityOf(train: TrainInfo, board: SeatBoard, from: string | undefined, to: string | undefined): AvailabilityAnswer {
  const version = board.version();
  if (version === 0) return { kind: 'not_ready' };
  if (from !== undefined || to !== undefined) {
    const a = from === undefined ? -1 : train.stations.indexOf(from);
    const b = to === undefined ? -1 : train.stations.indexOf(to);
    if (a < 0 || b < 0) return { kind: 'bad_pair', problem: `send from and to, both stations of this train (${train.stations.join(', ')})` };
    if (b <= a) return { kind: 'bad_pair', problem: `to: ${to} comes before ${from} on this train: send stations in the train's direction` };
    const pair = pairOf(train, board, a, b);
    return pair === null ? { kind: 'not_ready' } : { kind: 'pair', version, pair };
  }
  const pairs: PairAvailability[] = [];
  for (let a = 0; a < board.segments; a++) {
    for (let b = a + 1; b <= board.segments; b++) {
      const pair = pairOf(train, board, a, b);
      if (pair === null) return { kind: 'not_ready' };
      pairs.push(pair);
    }
  }
  return { kind: 'pairs', version, pairs };
}

function pairOf(train: TrainInfo, board: SeatBoard, a: number, b: number): PairAvailability | null {
  const classes: Record<string, number> = {};
  for (const [c, name] of train.classes.entries()) {
    const left = board.left(c, a, b);
    if (left === null) return null;
    classes[name] = left;
  }
  return { from: train.stations[a], to: train.stations[b], classes };
}

