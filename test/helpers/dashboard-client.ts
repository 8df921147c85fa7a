import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import type { DashboardSnapshot } from '../../src/node/main/dashboard-snapshot.js';

/** A /ws/sales client that keeps every snapshot with the time it arrived. */
export class DashboardClient {
  readonly snapshots: Array<{ at: number; snap: DashboardSnapshot }> = [];
  closed: { code: number; reason: string } | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.snapshots.push({ at: Date.now(), snap: JSON.parse(data.toString()) as DashboardSnapshot }));
    ws.on('close', (code: number, reason: Buffer) => (this.closed = { code, reason: reason.toString() }));
    ws.on('error', () => {});
  }

  static open(baseUrl: string): Promise<DashboardClient> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws/sales`);
    const client = new DashboardClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    });
  }

  get last(): DashboardSnapshot | undefined {
    return this.snapshots[this.snapshots.length - 1]?.snap;
  }

  /** The first snapshot from now on for which `pred` holds; rejects after `timeoutMs`. */
  async waitFor(pred: (snap: DashboardSnapshot) => boolean, timeoutMs: number, what = 'a snapshot'): Promise<DashboardSnapshot> {
    const deadline = Date.now() + timeoutMs;
    let from = this.snapshots.length;
    while (Date.now() < deadline) {
      for (; from < this.snapshots.length; from++) {
        const snap = this.snapshots[from].snap;
        if (pred(snap)) return snap;
      }
      if (this.closed !== null) throw new Error(`socket closed (${this.closed.code}) while waiting for ${what}`);
      await sleep(25);
    }
    throw new Error(`no ${what} within ${timeoutMs} ms (last: ${JSON.stringify(this.last)})`);
  }

  /** Waits for `count` more snapshots and returns their arrival times. */
  async next(count: number, timeoutMs: number): Promise<number[]> {
    const start = this.snapshots.length;
    const deadline = Date.now() + timeoutMs;
    while (this.snapshots.length < start + count && Date.now() < deadline) await sleep(20);
    return this.snapshots.slice(start, start + count).map((s) => s.at);
  }

  close(): void {
    this.ws.terminate();
  }
}
