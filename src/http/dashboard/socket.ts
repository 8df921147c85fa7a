import type { TemplatedApp } from 'uWebSockets.js';
import type { DashboardHub } from './hub.js';

/** The WebSocket path the dashboard page opens (a contract: docs and nginx's `location /ws/` name it). */
export const DASHBOARD_SOCKET_PATH = '/ws/sales';

/**
 * `/ws/sales` on one uWS thread's App. The socket only pushes: a client's message is read by nobody (and one
 * over `maxPayloadLength` makes uWS close that connection), so no message can reach code that could throw.
 * No token: what it shows is what `GET /sales/{id}` and `/metrics` show anyway; the admin buttons of the page
 * call the admin API with the operator's token instead.
 *
 * Per-socket memory is bounded twice: the hub skips a socket with more than 64 KiB unsent and drops one that
 * skipped for 5 s (hub.ts), and uWS itself closes a socket whose unsent bytes would pass `maxBackpressure`
 * (closeOnBackpressureLimit) — e.g. pongs to a client that floods pings and reads nothing.
 */
export function mountDashboardSocket(app: TemplatedApp, hub: DashboardHub, servedBy: string, draining: () => boolean): void {
  app.ws<Record<string, never>>(DASHBOARD_SOCKET_PATH, {
    maxPayloadLength: 512,
    maxBackpressure: 256 * 1024,
    closeOnBackpressureLimit: true,
    idleTimeout: 64,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => {
      // Read everything from req now: uWS frees it when this handler returns.
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      if (draining() || hub.full) {
        const why = draining() ? 'this node is shutting down' : 'too many dashboards on this node';
        res.cork(() => {
          res.writeStatus('503 Service Unavailable').writeHeader('Retry-After', '1').writeHeader('X-Served-By', servedBy);
          res.writeHeader('Content-Type', 'application/json');
          res.end(JSON.stringify({ code: 503, msg: `${why}: retry`, error: 'DASHBOARD_UNAVAILABLE' }), true);
        });
        return;
      }
      res.upgrade({}, key, protocol, extensions, context);
    },
    open: (ws) => hub.opened(ws),
    message: () => {
      // Read-only: nothing a client sends is looked at.
    },
    close: (ws) => hub.closed(ws),
  });
}
