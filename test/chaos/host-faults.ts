import { setTimeout as sleep } from 'node:timers/promises';
import type { ChaosCluster } from './cluster.js';
import { appHost } from './hosts-layout.js';
import type { Attempt, Journal, Seen } from './journal.js';
import type { Rng } from './rng.js';

/**
 * The faults of the layout across hosts (`npm run chaos -- --hosts`): what happens to machines, not processes.
 * Each returns the line the report prints.
 */

/** Every process of one app host killed at once (a power cut), the host back after `downMs`. */
export async function hostPowerLoss(cluster: ChaosCluster, journal: Journal, rng: Rng): Promise<string> {
  const layout = cluster.hosts();
  // Three times in four the master's host: the loss that costs the most (a failover on top of a node lost).
  const master = await layout.masterHost();
  const index = rng.next() < 0.75 ? master : rng.int(0, layout.apps - 1);
  const wasMaster = master === index;
  const downMs = rng.int(1500, 3000);
  const t0 = Date.now();
  const cutAt = journal.now();
  await cluster.hostPowerLoss(index, downMs);
  const nodeBack = Date.now() - t0;
  // The failover time buyers feel: from the cut to the first purchase sent after it that was confirmed.
  let again: number | undefined;
  for (let i = 0; i < 100 && again === undefined; i++) {
    again = journal.attempts.find((a) => a.seen === 'ok' && a.sentAt > cutAt)?.doneAt;
    if (again === undefined) await sleep(100);
  }
  const confirmed = again === undefined ? 'no purchase confirmed within 10 s of the node' : `purchases confirmed again ${Math.round(again - cutAt)} ms after the cut`;
  return `power loss on ${appHost(index)}${wasMaster ? ' (the master\'s host)' : ''}: node, Redis and Sentinel killed at once, back after ${downMs} ms (node ready ${nodeBack} ms after the cut); ${confirmed}`;
}

/** One app host's cable pulled for `seconds` and plugged back: connections to and from it hang, nothing is refused. */
export async function hostPartition(cluster: ChaosCluster, rng: Rng, seconds: number): Promise<string> {
  const layout = cluster.hosts();
  const index = rng.int(0, layout.apps - 1);
  const wasMaster = (await layout.masterHost()) === index;
  layout.hosts.linkDown(appHost(index));
  await sleep(seconds * 1000);
  layout.hosts.linkUp(appHost(index));
  return `${appHost(index)}${wasMaster ? ' (the master\'s host)' : ''} cut off for ${seconds} s, then back`;
}

/**
 * Split brain: the master's host cut off from every other host while its own node still reaches that master, and
 * buyers on that host keep buying from that node. The other hosts elect a new master; the old one can confirm
 * nothing (every confirmation waits for both replicas), so whatever it took is lost without anyone having been
 * told "success". The buyers' answers go into the journal: the auditor judges them with everyone else's.
 */
export async function masterCutOff(cluster: ChaosCluster, journal: Journal, sale: string, userPrefix: string): Promise<string> {
  const layout = cluster.hosts();
  const index = await layout.masterHost();
  const node = cluster.node(index);
  const old = await layout.group.master();
  const buyers = node === undefined ? undefined : startHostBuyers(cluster, index, `http://${node.address}:${node.port}`, sale, `${userPrefix}sb`, journal);
  layout.hosts.linkDown(appHost(index));
  const t0 = Date.now();
  let detail: string;
  let seen: Attempt[] = [];
  try {
    const next = await layout.group.waitForNewMaster(old);
    detail = `${appHost(index)} (master ${old.address}) cut off with its own node; ${next.address} master after ${Date.now() - t0} ms`;
    await sleep(1500);
  } finally {
    seen = buyers === undefined ? [] : await buyers.stop();
    for (const a of seen) journal.record(a);
    layout.hosts.linkUp(appHost(index));
  }
  const counts: Partial<Record<Seen, number>> = {};
  for (const a of seen) counts[a.seen] = (counts[a.seen] ?? 0) + 1;
  return `${detail}; buyers on the cut-off host got ${JSON.stringify(counts)}`;
}

/** PostgreSQL's host (and the order worker on it) cut off for `seconds`: orders wait in Redis, then catch up. */
export async function databaseOutage(cluster: ChaosCluster, seconds: number): Promise<string> {
  await cluster.hosts().databaseDown(seconds * 1000);
  return `the database host cut off for ${seconds} s, then back`;
}

/**
 * Buyers inside one app host, buying from its node directly (a new user per purchase, each with its own
 * Idempotency-Key), as a plain Node script run there; stop() ends it and returns what they saw as journal attempts.
 */
function startHostBuyers(cluster: ChaosCluster, index: number, nodeUrl: string, sale: string, prefix: string, journal: Journal): { stop(): Promise<Attempt[]> } {
  const script = `
    const [url, sale, prefix] = process.argv.slice(1);
    let n = 0, stopping = false;
    process.stdin.on('data', () => {}); process.stdin.on('end', () => { stopping = true; });
    const one = async () => {
      const user = prefix + (n++), key = user + 'k', sentAt = Date.now();
      let line = { user, key, sentAt, status: 0, seen: 'unknown' };
      try {
        const res = await fetch(url + '/buy/ticket', { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ user, sale }), signal: AbortSignal.timeout(3000) });
        const json = await res.json().catch(() => null);
        line.status = res.status;
        if (res.status === 200 && json && json.code === 1) { line.seen = 'ok'; line.orderId = json.data.orderId; }
        else if (res.status === 200 && json && json.code === -1) line.seen = 'soldout';
        else if (res.status === 200 && json && json.code === -2) line.seen = 'limit';
        else if (res.status === 409 || res.status === 429) line.seen = 'busy';
        else if (res.status < 500) line.seen = 'rejected';
      } catch (err) { line.detail = String(err.message); }
      line.doneAt = Date.now();
      process.stdout.write(JSON.stringify(line) + '\\n');
    };
    (async () => { while (!stopping) { await Promise.all([one(), one(), one(), one()]); await new Promise((r) => setTimeout(r, 50)); } })();
  `;
  const child = cluster.hosts().hosts.spawn(appHost(index), process.execPath, ['-e', script, nodeUrl, sale, prefix], { stdio: ['pipe', 'pipe', 'ignore'] });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let result: Attempt[] | undefined;
  return {
    async stop() {
      if (result !== undefined) return result;
      child.stdin?.end();
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
      // Both clocks measure the same elapsed time: an epoch ms maps to journal time by one offset.
      const offset = journal.now() - Date.now();
      result = parseAttempts(out, (epochMs) => epochMs + offset);
      return result;
    },
  };
}

function parseAttempts(out: string, toJournal: (epochMs: number) => number): Attempt[] {
  const attempts: Attempt[] = [];
  for (const line of out.split('\n')) {
    if (line.trim() === '') continue;
    const a = JSON.parse(line) as { user: string; key: string; sentAt: number; doneAt: number; status: number; seen: Seen; orderId?: string; detail?: string };
    attempts.push({ user: a.user, key: a.key, sentAt: toJournal(a.sentAt), doneAt: toJournal(a.doneAt), seen: a.seen, status: a.status, ...(a.orderId !== undefined ? { orderId: a.orderId } : {}), ...(a.detail !== undefined ? { detail: a.detail } : {}) });
  }
  return attempts;
}
