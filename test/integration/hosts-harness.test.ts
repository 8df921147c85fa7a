import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { isAlive } from '../../src/launcher/proc.js';
import { childEnv } from '../helpers/env.js';
import { Hosts, hostsAvailable, tcpOpen } from '../helpers/hosts.js';
import { claim } from '../helpers/hosts/claim.js';
import { ip } from '../helpers/hosts/ip.js';
import { ipBinary } from '../helpers/hosts/place.js';
import { ping, RedisServer } from '../helpers/redis-server.js';

// The harness of test/helpers/hosts.ts for real: namespaces, a bridge, veths, a Redis in one host reached from
// another and from the test, a pulled cable, a power loss, and the clean-up (its own and a crashed run's).

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HOSTS_MODULE = new URL('../helpers/hosts.ts', import.meta.url).href;

const availability = hostsAvailable();
if (!availability.ok) t.plan(0, availability.reason);

/** Every namespace and root-namespace link of one instance that exists now. */
function namesOf(index: number): string[] {
  const netns = ip(['netns', 'list']).split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(`tsh${index}-`));
  const links = ip(['-o', 'link', 'show']).split('\n').map((l) => l.split(': ')[1]?.split('@')[0] ?? '').filter((n) => new RegExp(`^tsh${index}(br|h\\d+)$`).test(n));
  return [...netns, ...links];
}

/** redis-cli PING from inside a host: 'PONG', or what happened instead ('timeout' when the connect hung). */
async function pingFrom(hosts: Hosts, from: string, address: string, port: number): Promise<string> {
  const result = await hosts.run(from, 'redis-cli', ['-h', address, '-p', String(port), 'ping'], 1500);
  return result.timedOut ? 'timeout' : (result.stdout.trim() || result.stderr.trim());
}

t.test('three hosts: a Redis in one reached from another and from the test, a cut link, a power loss, destroy', async (t) => {
  const hosts = await Hosts.create({ names: ['a', 'b', 'c'] });
  t.teardown(() => hosts.destroy());
  const [A, B, C] = ['a', 'b', 'c'].map((n) => hosts.address(n));
  t.same([A, B, C], [2, 3, 4].map((n) => `10.231.${hosts.index}.${n}`), 'one address each in the instance /24');
  t.equal(hosts.rootAddress, `10.231.${hosts.index}.1`, 'the test sits at .1 on the bridge');
  t.match((await hosts.run('b', ipBinary(), ['-o', '-4', 'addr', 'show', 'dev', 'eth0'])).stdout, `inet ${B}/24`, 'b has its address inside');

  const redisA = await RedisServer.start({ host: hosts.place('a') });
  t.teardown(() => redisA.stop());
  const redisB = await RedisServer.start({ host: hosts.place('b') });
  t.teardown(() => redisB.stop());
  t.equal(redisA.url, `redis://${A}:${redisA.port}`, 'the helper names the host address');
  const pidA = redisA.pid ?? -1;
  t.ok(hosts.pids('a').includes(pidA), 'the pid the helper holds is the process in the namespace (ip netns exec execs)');
  t.notOk(hosts.pids('b').includes(pidA), 'and it is in a only');

  t.equal(await pingFrom(hosts, 'b', A, redisA.port), 'PONG', 'b reaches a through the bridge');
  t.ok(await ping(redisA.port, A), 'the test reaches a');
  t.equal(await pingFrom(hosts, 'a', '127.0.0.1', redisA.port), 'PONG', "a's own loopback works");
  t.notOk(await ping(redisA.port, '127.0.0.1'), "a's Redis is not on the test's loopback");
  const out = await hosts.run('b', ipBinary(), ['route', 'get', '1.1.1.1']);
  t.match(out.stderr, /unreachable/i, 'no way out of the hosts: no default route');
  t.notMatch((await hosts.run('b', ipBinary(), ['route'])).stdout, /default/, 'no default route at all');

  hosts.linkDown('a');
  // All at once: the ones that must hang would otherwise add up their timeouts.
  const cut = await Promise.all([
    pingFrom(hosts, 'b', A, redisA.port),
    pingFrom(hosts, 'a', B, redisB.port),
    tcpOpen(A, redisA.port, 1000),
    pingFrom(hosts, 'a', A, redisA.port),
    pingFrom(hosts, 'a', '127.0.0.1', redisA.port),
    pingFrom(hosts, 'c', B, redisB.port),
    ping(redisB.port, B),
  ]);
  // A cut connect hangs, or fails once ARP gives up (~3 s): either, never an answer.
  t.match(cut[0], /^timeout$|No route to host/, 'cut: b cannot reach a');
  t.match(cut[1], /^timeout$|No route to host/, 'cut: a cannot reach b');
  t.equal(cut[2], false, 'cut: the test cannot reach a');
  t.equal(cut[3], 'PONG', 'cut: inside a, its own address still answers');
  t.equal(cut[4], 'PONG', 'cut: and its loopback');
  t.ok(isAlive(pidA), "cut: a's Redis keeps running");
  t.equal(cut[5], 'PONG', 'cut: c still reaches b');
  t.equal(cut[6], true, 'cut: the test still reaches b');

  hosts.linkUp('a');
  const deadline = Date.now() + 5000;
  while (!(await ping(redisA.port, A)) && Date.now() < deadline) await sleep(50);
  t.ok(await ping(redisA.port, A), 'back up: the test reaches a again');
  t.equal(await pingFrom(hosts, 'b', A, redisA.port), 'PONG', 'back up: b reaches a again');

  hosts.stopAll('b');
  t.notOk(await ping(redisB.port, B), 'b frozen: its Redis answers nothing');
  hosts.contAll('b');
  t.ok(await ping(redisB.port, B), 'b thawed: it answers again');

  const killed = await hosts.killAll('a');
  t.ok(killed.includes(pidA), 'killAll signalled the Redis');
  t.notOk(isAlive(pidA), 'power loss: the Redis of a is gone');
  t.same(hosts.pids('a'), [], 'nothing left in a');
  t.equal(redisA.pid, undefined, 'the helper saw its process exit');
  t.ok(isAlive(redisB.pid ?? -1), "b's Redis did not notice");

  const pidB = redisB.pid ?? -1;
  const index = hosts.index;
  t.equal(namesOf(index).length, 3 + 3 + 1, 'three namespaces, three veths, one bridge while it lives');
  await hosts.destroy();
  t.same(namesOf(index), [], 'destroy: none of its namespaces or links is left');
  t.notOk(isAlive(pidB), 'destroy: it killed what ran in its hosts');
  t.notOk(ip(['-o', '-4', 'addr', 'show']).includes(`10.231.${index}.`), 'destroy: its addresses are gone');
});

t.test('two instances created at the same time get their own /24 and names, and do not see each other', async (t) => {
  const [one, two] = await Promise.all([Hosts.create({ names: ['x', 'y'] }), Hosts.create({ names: ['x', 'y'] })]);
  t.teardown(() => Promise.all([one.destroy(), two.destroy()]));
  t.not(one.index, two.index, 'different instances');
  t.not(one.subnet, two.subnet, 'different /24s');
  t.not(one.netns('x'), two.netns('x'), 'different namespace names');
  t.not(one.bridge, two.bridge, 'different bridges');
  t.equal(namesOf(one.index).length, 5, 'the first has its own 2 namespaces, 2 veths, 1 bridge');
  t.equal(namesOf(two.index).length, 5, 'the second too');
  const route = await one.run('x', ipBinary(), ['route', 'get', two.address('x')]);
  t.match(route.stderr, /unreachable/i, "one's hosts have no route to the other's");
});


/** A separate test process that builds hosts, starts a `sleep` in one and prints {index, sleepPid}. */
async function ownerProcess(): Promise<{ child: ChildProcess; index: number; sleepPid: number }> {
  const script = `
    import { Hosts } from ${JSON.stringify(HOSTS_MODULE)};
    const hosts = await Hosts.create({ names: ['p'] });
    const sleeper = hosts.spawn('p', 'sleep', ['600'], { stdio: 'ignore' });
    console.log(JSON.stringify({ index: hosts.index, sleepPid: sleeper.pid }));
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--import=tsx', '--conditions=ticket-spike-source', '--input-type=module', '-e', script], {
    cwd: ROOT,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    new Promise<string>((resolve) => lines.once('line', resolve)),
    new Promise<never>((_, reject) => child.once('exit', () => reject(new Error(`the owner process exited: ${stderr}`)))),
  ]);
  const { index, sleepPid } = JSON.parse(first) as { index: number; sleepPid: number };
  return { child, index, sleepPid };
}

function exitOf(child: ChildProcess): Promise<NodeJS.Signals | number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode ?? child.exitCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
}

t.test('a live owner is left alone; a SIGKILLed one is reaped by the next create; a SIGTERMed one cleans up itself', async (t) => {
  const [crashed, terminated] = await Promise.all([ownerProcess(), ownerProcess()]);
  t.teardown(() => {
    // Only if an assertion below failed early: by pid, the processes this test started.
    for (const pid of [crashed.child.pid, terminated.child.pid, crashed.sleepPid, terminated.sleepPid]) if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL');
  });
  t.ok(isAlive(crashed.sleepPid), "the owner's process runs in its host");

  const removed = await Hosts.cleanLeftovers();
  t.notOk(removed.some((n) => n.startsWith(`tsh${crashed.index}`) || n.startsWith(`tsh${terminated.index}`)), 'cleanLeftovers leaves live owners alone');
  t.equal(namesOf(crashed.index).length, 3, "the live owner's namespace, veth and bridge are all there");

  crashed.child.kill('SIGKILL');
  t.equal(await exitOf(crashed.child), 'SIGKILL', 'the owner crashed (no clean-up of its own)');
  t.equal(namesOf(crashed.index).length, 3, 'its names outlive it');
  t.ok(isAlive(crashed.sleepPid), 'and so does its process');

  terminated.child.kill('SIGTERM');
  t.equal(await exitOf(terminated.child), 'SIGTERM', 'a SIGTERMed owner still dies of SIGTERM (the harness re-raises it)');
  t.same(namesOf(terminated.index), [], 'but first it removed its hosts');
  t.notOk(isAlive(terminated.sleepPid), 'and killed what ran in them');

  // A leftover made by hand, as an older crashed run would leave it: a namespace with a process in it, a veth,
  // a bridge, under an index nobody owns. It is made while we hold that index's claim (no one else starts
  // there meanwhile), then the claim is dropped: the owner "died".
  let ghost = -1;
  let held;
  for (let i = 63; i >= 0 && held === undefined; i--) {
    held = await claim(i);
    if (held !== undefined) ghost = i;
  }
  t.ok(held, 'a free index for the hand-made leftover');
  ip(['netns', 'add', `tsh${ghost}-ghost`]);
  ip(['link', 'add', `tsh${ghost}br`, 'type', 'bridge']);
  ip(['link', 'add', `tsh${ghost}h0`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', `tsh${ghost}-ghost`]);
  const ghostSleep = spawn(ipBinary(), ['netns', 'exec', `tsh${ghost}-ghost`, 'sleep', '600'], { stdio: 'ignore', detached: true });
  ghostSleep.unref();
  t.teardown(() => {
    if (ghostSleep.pid !== undefined && isAlive(ghostSleep.pid)) process.kill(ghostSleep.pid, 'SIGKILL');
    spawnSync(ipBinary(), ['netns', 'del', `tsh${ghost}-ghost`]);
    spawnSync(ipBinary(), ['link', 'del', `tsh${ghost}h0`]);
    spawnSync(ipBinary(), ['link', 'del', `tsh${ghost}br`]);
  });
  while (ghostSleep.pid !== undefined && spawnSync(ipBinary(), ['netns', 'pids', `tsh${ghost}-ghost`], { encoding: 'utf8' }).stdout.trim() === '') await sleep(10);
  t.equal(namesOf(ghost).length, 3, 'the hand-made leftover is there');
  held?.close();

  const next = await Hosts.create({ names: ['n'] });
  t.teardown(() => next.destroy());
  // The next instance may well take one of the freed indices: its own names are not leftovers.
  const leftOf = (index: number) => namesOf(index).filter((n) => ![next.netns('n'), next.veth('n'), next.bridge].includes(n));
  t.same(leftOf(crashed.index), [], "the next create removed the crashed owner's names");
  t.notOk(isAlive(crashed.sleepPid), 'and killed the process it left');
  t.same(leftOf(ghost), [], 'and the hand-made leftover');
  t.notOk(isAlive(ghostSleep.pid ?? -1), 'with its process');
});
