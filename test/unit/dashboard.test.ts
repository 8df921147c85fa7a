// The live dashboard's parts that need no sockets: the rates and percentiles from the shared counters, the
// snapshot (nodes down, shares, sale states) and the hub's backpressure rule (skip a slow socket, drop a dead one).
import t from 'tap';
import { DashboardHub, type DashboardSocket } from '../../src/http/dashboard/hub.js';
import { ThreadCounters, createMetricsBuffer } from '../../src/metrics/layout.js';
import { RateWindow, quantileMs } from '../../src/metrics/window.js';
import { buildSnapshot, rowState, type NodeBeat } from '../../src/node/main/dashboard-snapshot.js';
import type { SaleFacts } from '../../src/sale/types.js';

t.test('rates and percentiles over the window, from the threads\' counters', async (t) => {
  const buffer = createMetricsBuffer(2);
  const window = new RateWindow(buffer, 2, 3);
  const [t0, t1] = [new ThreadCounters(buffer, 0), new ThreadCounters(buffer, 1)];
  t.same(window.sample(0), { requestsPerSec: 0, purchasesPerSec: 0, soldOutPerSec: 0, tooManyPerSec: 0, unavailablePerSec: 0, p50Ms: null, p99Ms: null });
  for (let i = 0; i < 90; i++) {
    t0.outcome('success');
    t0.response(200, 0.0008); // the 0.5-1 ms bucket
  }
  for (let i = 0; i < 10; i++) {
    t1.outcome('sold_out');
    t1.response(200, 0.02); // the 10-25 ms bucket
  }
  for (let i = 0; i < 5; i++) t1.response(429, 0.0001);
  for (let i = 0; i < 3; i++) t1.response(503, 0.0001);
  const r = window.sample(500);
  t.equal(r.requestsPerSec, 216, '108 answers in 0.5 s, both threads summed');
  t.equal(r.purchasesPerSec, 180);
  t.equal(r.soldOutPerSec, 20);
  t.equal(r.tooManyPerSec, 10);
  t.equal(r.unavailablePerSec, 6);
  t.ok(r.p50Ms! > 0.5 && r.p50Ms! <= 1, `p50 ${r.p50Ms} ms in the 0.5-1 ms bucket`);
  t.ok(r.p99Ms! > 10 && r.p99Ms! <= 25, `p99 ${r.p99Ms} ms in the 10-25 ms bucket`);
  window.sample(1000);
  const later = window.sample(1500);
  t.equal(later.requestsPerSec, 0, 'once the window has passed them, old answers no longer count');
  t.equal(later.p99Ms, null);
});

t.test('quantiles from bucket counts', async (t) => {
  const buckets = new Array(14).fill(0);
  t.equal(quantileMs(buckets, 0.5), null, 'nothing answered: no percentile');
  buckets[0] = 100; // all within 0.5 ms
  t.equal(quantileMs(buckets, 0.5), 0.25, 'interpolated inside the bucket');
  buckets[13] = 100; // half over the last bound
  t.equal(quantileMs(buckets, 0.99), 5000, '+Inf answers the highest bound');
});

const beat = (id: string, at: number, requestsPerSec: number): NodeBeat => ({
  id,
  at,
  threads: 2,
  weight: 1,
  dashboards: 0,
  dashboardsDropped: 0,
  requestsPerSec,
  purchasesPerSec: 0,
  soldOutPerSec: 0,
  tooManyPerSec: 0,
  unavailablePerSec: 0,
  p50Ms: null,
  p99Ms: null,
});

const facts = (over: Partial<SaleFacts>): SaleFacts => ({
  id: 'S',
  total: 10,
  held: 2,
  paid: 3,
  remaining: 5,
  open: true,
  paused: false,
  state: 'open',
  perUserLimit: 1,
  holdSeconds: 900,
  anonymous: false,
  opensAt: null,
  closesAt: null,
  ordersMade: 5,
  checkedIn: 0,
  idKey: null,
  kind: 'counter',
  ...over,
});

t.test('the snapshot: every node, the stale ones down, shares of the live ones', async (t) => {
  const others = new Map<string, Record<string, unknown>>([
    ['n1', { ...beat('n1', 9000, 999) }], // our own, as last read: ignored, the fresh figures count
    ['n2', { ...beat('n2', 8500, 300) }],
    ['n10', { ...beat('n10', 7000, 500) }], // 3 s old: down
    ['n3', { at: 'garbage' }],
  ]);
  const snap = buildSnapshot({ now: 10_000, intervalMs: 500, downAfterMs: 2000, self: beat('n1', 10_000, 100), others, redis: true, postgres: 'up', sales: [facts({})], queues: [] });
  t.same(snap.nodes.map((n) => [n.id, n.alive, n.share]), [['n1', true, 0.25], ['n2', true, 0.75], ['n3', false, 0], ['n10', false, 0]], 'sorted by id, numbers in order');
  t.equal(snap.totals.requestsPerSec, 400, 'totals over the live nodes');
  t.same(snap.sales, [{ id: 'S', total: 10, held: 2, paid: 3, remaining: 5, sold: 5, checkedIn: 0, state: 'open', queue: null }]);
  const blind = buildSnapshot({ now: 10_000, intervalMs: 500, downAfterMs: 2000, self: beat('n1', 10_000, 100), others, redis: false, postgres: 'none', sales: [], queues: [] });
  t.same(blind.nodes.map((n) => n.alive), [true, null, null, null], 'without Redis the others are unknown, not down');
});

t.test('sale states', async (t) => {
  t.equal(rowState(facts({}), 0), 'open');
  t.equal(rowState(facts({ remaining: 0 }), 0), 'sold out');
  t.equal(rowState(facts({ open: false, opensAt: 5000, state: 'scheduled' }), 0), 'scheduled');
  t.equal(rowState(facts({ opensAt: 5000, state: 'scheduled' }), 6000), 'open', 'an opening passed since the last read');
  t.equal(rowState(facts({ closesAt: 5000 }), 6000), 'closed');
  t.equal(rowState(facts({ paused: true, state: 'paused', remaining: 0 }), 0), 'paused', 'paused, even when nothing is left');
});

class FakeSocket implements DashboardSocket {
  sent: string[] = [];
  buffered = 0;
  closed = false;
  send(message: Uint8Array | ArrayBuffer): number {
    this.sent.push(new TextDecoder().decode(message));
    return 1;
  }
  getBufferedAmount(): number {
    return this.buffered;
  }
  close(): void {
    this.closed = true;
  }
}

t.test('the hub: one encoding per push, slow sockets skipped, dead ones dropped', async (t) => {
  const changes: Array<[number, number]> = [];
  const hub = new DashboardHub((count, dropped) => changes.push([count, dropped]), { skipAboveBytes: 1000, dropAfterMs: 2000, maxSockets: 2 });
  const fast = new FakeSocket();
  const slow = new FakeSocket();
  hub.opened(fast, 0);
  hub.push('{"n":1}', 100);
  hub.opened(slow, 200);
  t.same(slow.sent, ['{"n":1}'], 'a new socket gets the latest snapshot at once');
  t.ok(hub.full, 'at its limit of sockets');
  slow.buffered = 5000;
  hub.push('{"n":2}', 600);
  t.same(fast.sent, ['{"n":1}', '{"n":2}']);
  t.same(slow.sent, ['{"n":1}'], 'a socket with more unsent than the limit is skipped');
  slow.buffered = 10;
  hub.push('{"n":3}', 1100);
  t.same(slow.sent, ['{"n":1}', '{"n":3}'], 'and sent to again once it has caught up');
  slow.buffered = 5000;
  hub.push('{"n":4}', 1600);
  hub.push('{"n":5}', 3500);
  t.notOk(slow.closed, 'skipping for less than dropAfterMs: kept');
  hub.push('{"n":6}', 3600);
  t.ok(slow.closed, 'skipping for dropAfterMs: closed');
  t.equal(hub.dropped, 1);
  t.same(changes.at(-1), [1, 1], 'the main thread hears: one socket left, one dropped');
  t.equal(fast.sent.length, 6, 'the fast one got every snapshot');
  hub.closed(slow);
  t.same(changes.at(-1), [1, 1], 'the close handler after a drop changes nothing');
  const late = new FakeSocket();
  hub.opened(late, 10_000);
  t.same(late.sent, [], 'a stale snapshot is not sent to a new socket');
  hub.closeAll();
  t.ok(fast.closed && late.closed, 'shutdown closes every socket');
});

t.test('the Grafana dashboard names only metrics a node exports', async (t) => {
  const { readFileSync } = await import('node:fs');
  const { createMetricsRegistry } = await import('../../src/metrics/registry.js');
  const text = readFileSync(new URL('../../grafana/ticket-spike.json', import.meta.url), 'utf8');
  const grafana = JSON.parse(text) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
  const registry = createMetricsRegistry('n1', createMetricsBuffer(1), 1, () => [{ sale: 's', held: 0, paid: 0, remaining: 1, localQuota: 1 }], () => [
    { sale: 's', pending: 0, unread: 0, oldestAgeSeconds: 0 },
  ]);
  const scrape = await registry.metrics();
  const exported = new Set(scrape.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]));
  t.ok(grafana.panels.flatMap((p) => p.targets ?? []).length >= 15, 'panels with queries');
  // Every name anywhere in the file: the panels' queries and the variables' label_values().
  const used = new Set(text.match(/ticket_spike_[a-z0-9_]+/g) ?? []);
  t.ok(used.size >= 10, `${used.size} metric names in the file`);
  t.same([...used].filter((name) => !exported.has(name)), [], 'every one of them is exported');
});
