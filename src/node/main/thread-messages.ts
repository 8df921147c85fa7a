import type { Worker } from 'node:worker_threads';
import type { MainToThread, ThreadToMain } from '../messages.js';
import type { DashboardFeed } from './dashboard-feed.js';
import type { HolderSync } from './holder-sync.js';
import type { Reconciler } from './reconciler.js';
import type { SaleRegistry } from './registry.js';

export interface ThreadMessageParts {
  registry: SaleRegistry;
  /** Made after the threads start: asked for when a message needs it. */
  reconciler: () => Reconciler;
  holderSync: HolderSync;
  dashboard: DashboardFeed;
  metrics: { metrics(): Promise<string>; contentType: string };
}

/** The main thread's answer to each message a uWS thread sends it (src/node/messages.ts ThreadToMain). */
export function threadMessageHandler(p: ThreadMessageParts): (worker: Worker, message: ThreadToMain) => void {
  return (worker, message) => {
    switch (message.type) {
      case 'lookup':
        p.registry.lookup(message.id).then(
          (sale) => worker.postMessage({ type: 'lookup-reply', id: message.id, sale } satisfies MainToThread),
          (err: unknown) =>
            worker.postMessage({ type: 'lookup-reply', id: message.id, sale: null, error: (err as Error).message } satisfies MainToThread),
        );
        break;
      case 'sale-created':
        void p.registry.lookup(message.id).catch(() => {});
        break;
      case 'sale-changed':
        p.reconciler().soon();
        break;
      case 'sold-out':
        p.holderSync.refresh(message.saleId);
        break;
      case 'forgot':
        p.registry.acknowledged(message.slot, message.saleId);
        break;
      case 'dashboard-watchers':
        p.dashboard.watched(message.thread, message.count, message.dropped);
        break;
      case 'metrics':
        p.metrics.metrics().then(
          (text) => worker.postMessage({ type: 'metrics-reply', reqId: message.reqId, text, contentType: p.metrics.contentType } satisfies MainToThread),
          () => worker.postMessage({ type: 'metrics-reply', reqId: message.reqId, text: '', contentType: '' } satisfies MainToThread),
        );
        break;
      case 'listening': case 'listen-failed': case 'stopped': // the start waits for these itself; the shutdown for the exit
        break;
    }
  };
}
