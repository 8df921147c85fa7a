/** The part of a uWS WebSocket the hub uses (a fake in the unit tests). */
export interface DashboardSocket {
  send(message: ArrayBuffer | Uint8Array, isBinary?: boolean): number;
  getBufferedAmount(): number;
  /** Forceful close (uWS: no close frame; the kernel resets the connection). */
  close(): void;
}

export interface HubLimits {
  /** A socket with more than this many bytes still unsent skips the snapshot (the next one replaces it). */
  skipAboveBytes: number;
  /** A socket that skipped every snapshot for this long is closed ("dropped"): it is not reading at all. */
  dropAfterMs: number;
  /** Dashboards one thread accepts; more are refused at the upgrade (503). */
  maxSockets: number;
}

export const HUB_LIMITS: HubLimits = { skipAboveBytes: 64 * 1024, dropAfterMs: 5000, maxSockets: 64 };

/**
 * One uWS thread's dashboards. The main thread builds one snapshot per tick; `push` turns it into bytes once
 * and sends the same bytes to every socket of this thread — nothing is built per connection, and nothing here
 * runs on a request's path. Backpressure rule: a socket whose unsent bytes (`getBufferedAmount`) exceed
 * `skipAboveBytes` is skipped, so what one socket can hold is bounded by about one limit plus one snapshot;
 * one that has skipped for `dropAfterMs` is closed. (uWS's own maxBackpressure with
 * closeOnBackpressureLimit, set where the socket is mounted, is the hard cap behind this rule.)
 */
export class DashboardHub {
  private readonly sockets = new Map<DashboardSocket, { slowSince: number | null }>();
  private last: { bytes: Uint8Array; at: number } | null = null;
  private droppedCount = 0;
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly onChange: (count: number, dropped: number) => void,
    private readonly limits: HubLimits = HUB_LIMITS,
  ) {}

  get size(): number {
    return this.sockets.size;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  get full(): boolean {
    return this.sockets.size >= this.limits.maxSockets;
  }

  /** A new socket gets the latest snapshot at once when it is fresh (younger than `freshMs`). */
  opened(ws: DashboardSocket, now = Date.now(), freshMs = 1500): void {
    this.sockets.set(ws, { slowSince: null });
    if (this.last !== null && now - this.last.at <= freshMs) ws.send(this.last.bytes, false);
    this.onChange(this.sockets.size, this.droppedCount);
  }

  closed(ws: DashboardSocket): void {
    if (this.sockets.delete(ws)) this.onChange(this.sockets.size, this.droppedCount);
  }

  push(json: string, now = Date.now()): void {
    const bytes = this.encoder.encode(json);
    this.last = { bytes, at: now };
    const drop: DashboardSocket[] = [];
    for (const [ws, state] of this.sockets) {
      if (ws.getBufferedAmount() > this.limits.skipAboveBytes) {
        state.slowSince ??= now;
        if (now - state.slowSince >= this.limits.dropAfterMs) drop.push(ws);
        continue;
      }
      state.slowSince = null;
      ws.send(bytes, false);
    }
    for (const ws of drop) {
      this.sockets.delete(ws);
      this.droppedCount++;
      ws.close(); // uWS calls the close handler synchronously; closed() then finds nothing to delete
    }
    if (drop.length > 0) this.onChange(this.sockets.size, this.droppedCount);
  }

  /** Shutdown: close every dashboard (nginx and browsers reconnect to another node). */
  closeAll(): void {
    const all = [...this.sockets.keys()];
    this.sockets.clear();
    for (const ws of all) ws.close();
  }
}
