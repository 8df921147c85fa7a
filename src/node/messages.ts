import type { NodeConfig } from '../config/node-config.js';
import type { SaleInfo } from '../sale/types.js';
import type { TicketKeySet } from '../tickets/keys.js';

/** The messages between a node's main thread and its uWS threads (structured clone over postMessage). */

/** workerData of a uWS thread. */
export interface ThreadData {
  index: number;
  config: NodeConfig;
  stockBuffer: SharedArrayBuffer;
  /** Per-slot orders seen and in-flight units (src/sale/slot-memory.ts). */
  slotBuffer: SharedArrayBuffer;
  metricsBuffer: SharedArrayBuffer;
  /** The node's per-buyer token buckets (src/sale/buyer-buckets.ts), shared by every thread. */
  buyerBuffer: SharedArrayBuffer;
  sales: SaleInfo[];
  /** The node's e-ticket keys (from the key directory, or one made in memory); replaced by 'ticket-keys'. */
  ticketKeys: TicketKeySet;
}

export type MainToThread =
  | { type: 'sale'; sale: SaleInfo }
  | { type: 'lookup-reply'; id: string; sale: SaleInfo | null; error?: string }
  | { type: 'metrics-reply'; reqId: number; text: string; contentType: string }
  /** A sold-out sale's holder filter (src/sale/holder-filter.ts): shared, not copied; filled in place after. */
  | { type: 'holders'; saleId: string; filter: SharedArrayBuffer }
  /** The sale finished: drop it, and answer 'forgot' once none of its purchases is left on the thread. */
  | { type: 'forget'; saleId: string; slot: number }
  /** The Redis master changed (src/node/main/master-watch.ts): drop every holder filter, the new master's come later. */
  | { type: 'holders-reset' }
  /** The key directory changed (a rotation): sign with the new current key, verify with all of them. */
  | { type: 'ticket-keys'; keys: TicketKeySet }
  /** One live-dashboard snapshot (JSON), built once per tick by the main thread: send it to this thread's sockets. */
  | { type: 'dashboard'; json: string }
  /** The key every node signs waiting-room tokens with (hex), read by the main thread (src/node/main/queue-keeper.ts). */
  | { type: 'queue-secret'; secret: string }
  | { type: 'stop' };

export type ThreadToMain =
  | { type: 'listening'; thread: number }
  | { type: 'listen-failed'; thread: number; error: string }
  | { type: 'lookup'; id: string }
  | { type: 'metrics'; reqId: number }
  | { type: 'sale-created'; id: string }
  /** An operator paused, resumed, closed or restocked the sale through this thread: reconcile now. */
  | { type: 'sale-changed'; id: string }
  | { type: 'sold-out'; saleId: string }
  /** This thread will never again touch `slot` for `saleId`. */
  | { type: 'forgot'; saleId: string; slot: number }
  /** This thread's connected dashboards changed (opened, closed, or dropped as too slow: `dropped` since start). */
  | { type: 'dashboard-watchers'; thread: number; count: number; dropped: number }
  | { type: 'stopped'; thread: number };
