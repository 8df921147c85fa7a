import type { NodeConfig } from '../config/node-config.js';
import type { TicketKeys } from '../tickets/signer.js';

/** What every thread knows about a sale, broadcast by the main thread (the stock itself lives in the shared buffer). */
export interface SaleInfo {
  id: string;
  slot: number;
  total: number;
  anonymous: boolean;
  perUserLimit: number;
  holdSeconds: number;
  /** ms since epoch, or null */
  opensAt: number | null;
  closesAt: number | null;
}

/** workerData of a uWS thread. */
export interface ThreadData {
  index: number;
  config: NodeConfig;
  stockBuffer: SharedArrayBuffer;
  inFlightBuffer: SharedArrayBuffer;
  metricsBuffer: SharedArrayBuffer;
  sales: SaleInfo[];
  /** The node's e-ticket signing keys (one pair per node process). */
  ticketKeys: TicketKeys;
}

export type MainToThread =
  | { type: 'sale'; sale: SaleInfo }
  | { type: 'lookup-reply'; id: string; sale: SaleInfo | null; error?: string }
  | { type: 'metrics-reply'; reqId: number; text: string; contentType: string }
  | { type: 'stop' };

export type ThreadToMain =
  | { type: 'listening'; thread: number }
  | { type: 'listen-failed'; thread: number; error: string }
  | { type: 'lookup'; id: string }
  | { type: 'metrics'; reqId: number }
  | { type: 'sale-created'; id: string }
  | { type: 'stopped'; thread: number };
