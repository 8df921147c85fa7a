import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { childEnv } from './env.js';
import { hostsAvailable, type Availability } from './hosts/available.js';
import { claim, INSTANCES } from './hosts/claim.js';
import { ip, netnsNames, linkNames, netnsPids, rootAddresses, signalNetns } from './hosts/ip.js';
import {
  bridgeName,
  HOST_NAME,
  hostAddressOf,
  linkInstance,
  MAX_HOSTS,
  netnsInstance,
  netnsName,
  rootAddressOf,
  subnetOf,
  vethName,
} from './hosts/names.js';
import { inHost, type HostPlace } from './hosts/place.js';
import { removeDeadProbes, removeInstance } from './hosts/teardown.js';

export { hostsAvailable, type Availability } from './hosts/available.js';
export { inHost, type HostPlace } from './hosts/place.js';
export { tcpOpen } from './hosts/tcp-open.js';

export interface HostsOptions {
  /** One host per name (a network namespace tsh<index>-<name>), e.g. ['front', 'app1', 'app2', 'db']. */
  names: readonly string[];
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** run() killed it after timeoutMs. */
  timedOut: boolean;
}

/**
 * Several "hosts" on this one machine, for tests that need a real network between the parts: one network
 * namespace per host, each joined by a veth pair to one bridge in the root namespace (the test's), with
 * addresses in a /24 of its own (10.231.<index>.0/24: the test at .1 on the bridge, the hosts from .2). The
 * test reaches every host at its address and the hosts reach each other through the bridge; nothing else: no
 * default route, no NAT, nothing forwarded to eth0. A host's processes are real processes (`ip netns exec`),
 * so a fault is a real one: linkDown() is a pulled cable (connections hang, nothing is refused), killAll() a
 * power loss.
 *
 * Instances never collide: each holds a claim on its index (hosts/claim.ts) for its life, and everything it
 * makes is named tsh<index>... (hosts/names.ts). create() first reaps whatever a dead run left; destroy() — or
 * the process's exit, or SIGINT/SIGTERM/SIGHUP — kills every process in the hosts and removes every name.
 */
export class Hosts {
  private readonly children = new Set<ChildProcess>();
  private destroyed = false;

  private constructor(
    readonly index: number,
    private readonly claimSocket: Server,
    readonly names: readonly string[],
  ) {}

  /** Whether this machine can build hosts (root, `ip`, the kernel willing); tests skip with the reason. */
  static available(): Availability {
    return hostsAvailable();
  }

  /** Builds the hosts on the first free instance, after reaping a crashed run's leftovers. */
  static async create(options: HostsOptions): Promise<Hosts> {
    const availability = hostsAvailable();
    if (!availability.ok) throw new Error(`Hosts.create: ${availability.reason}`);
    const names = [...options.names];
    if (names.length === 0 || names.length > MAX_HOSTS) throw new RangeError(`Hosts.create: 1 to ${MAX_HOSTS} hosts, got ${names.length}`);
    for (const name of names) if (!HOST_NAME.test(name)) throw new RangeError(`Hosts.create: a host name is ${HOST_NAME} (it goes into the namespace's name), got ${JSON.stringify(name)}`);
    if (new Set(names).size !== names.length) throw new RangeError(`Hosts.create: a name twice in ${names.join(', ')}`);
    await Hosts.cleanLeftovers();
    const taken = rootAddresses();
    for (let index = 0; index < INSTANCES; index++) {
      const socket = await claim(index);
      if (socket === undefined) continue; // a live run's (or our own other instance's)
      // What a run that died after our cleanLeftovers() looked left under this index.
      removeInstance(index);
      // Someone else's network in this /24 (not ours: ours would be named tsh<index>...): leave it alone.
      if (taken.some((a) => a.address.startsWith(`10.231.${index}.`) && linkInstance(a.link) === undefined)) {
        socket.close();
        continue;
      }
      const hosts = new Hosts(index, socket, names);
      live.add(hosts);
      installExitHandlers();
      try {
        hosts.build();
      } catch (err) {
        hosts.destroySync();
        throw err;
      }
      return hosts;
    }
    throw new Error(`Hosts.create: all ${INSTANCES} harness instances are in use`);
  }

  /**
   * Removes every namespace and link named tsh<index>... whose owner is gone (its claim is free), killing the
   * processes left in them, and what a dead process's available() probe left. A live run's instance is never
   * touched. Returns the names removed.
   */
  static async cleanLeftovers(): Promise<string[]> {
    const removed = removeDeadProbes();
    const indices = new Set<number>();
    for (const name of netnsNames()) {
      const index = netnsInstance(name);
      if (index !== undefined) indices.add(index);
    }
    for (const name of linkNames()) {
      const index = linkInstance(name);
      if (index !== undefined) indices.add(index);
    }
    for (const index of indices) {
      const socket = await claim(index);
      if (socket === undefined) continue; // its owner is alive
      try {
        removed.push(...removeInstance(index));
      } finally {
        socket.close();
      }
    }
    return removed;
  }

  /** The /24 of this instance, e.g. 10.231.3.0/24. */
  get subnet(): string {
    return subnetOf(this.index);
  }

  /** The test's (root namespace's) address on the bridge: what a host sees as the test's connections' source. */
  get rootAddress(): string {
    return rootAddressOf(this.index);
  }

  /** The bridge in the root namespace. */
  get bridge(): string {
    return bridgeName(this.index);
  }

  /** The network namespace of a host. */
  netns(name: string): string {
    this.position(name);
    return netnsName(this.index, name);
  }

  /** The host's IPv4 address. */
  address(name: string): string {
    return hostAddressOf(this.index, this.position(name));
  }

  /** The root end of the host's veth (on the bridge): what linkDown() sets down. */
  veth(name: string): string {
    return vethName(this.index, this.position(name));
  }

  /** What the helpers take as `host` to run inside this host (RedisServer.start({ host: hosts.place('db') })). */
  place(name: string): HostPlace {
    return { netns: this.netns(name), address: this.address(name), subnet: this.subnet };
  }

  /**
   * `command args` inside the host. The child's pid is the program's own (`ip netns exec` execs it), so
   * child.kill() reaches the program. Its environment is childEnv() unless options.env says otherwise.
   * destroy() kills it.
   */
  spawn(name: string, command: string, args: string[] = [], options: SpawnOptions = {}): ChildProcess {
    this.assertLive();
    const [cmd, argv] = inHost(this.place(name), command, args);
    const child = spawn(cmd, argv, { env: childEnv(), ...options });
    this.children.add(child);
    const forget = () => this.children.delete(child);
    child.once('exit', forget);
    child.once('error', forget);
    return child;
  }

  /** Runs a short command inside the host and collects its output; SIGKILLed after timeoutMs. */
  run(name: string, command: string, args: string[] = [], timeoutMs = 5000): Promise<RunResult> {
    const child = this.spawn(name, command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    return new Promise((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr, timedOut });
      });
    });
  }

  /** The live processes in the host right now (whoever started them). */
  pids(name: string): number[] {
    return netnsPids(this.netns(name));
  }

  /**
   * Cuts the host off: its veth's end on the bridge goes down. Nobody reaches it, not even the test, and it
   * reaches nobody: an open connection stalls (nothing is refused or reset); a new connect hangs, or fails with
   * EHOSTUNREACH after ~3 s where the kernel had no fresh ARP entry for the address (measured: from another host
   * it fails, from the test, which had talked to it, it hung past 12 s). Inside, everything keeps running and
   * still talks over the host's 127.0.0.1 and its own address.
   */
  linkDown(name: string): void {
    this.assertLive();
    ip(['link', 'set', this.veth(name), 'down']);
  }

  linkUp(name: string): void {
    this.assertLive();
    ip(['link', 'set', this.veth(name), 'up']);
  }

  /**
   * Signals every process in the host at once. SIGKILL (the default) is a power loss: all are stopped first,
   * then killed, and the call returns once they are gone. Returns the pids signalled.
   */
  async killAll(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<number[]> {
    this.assertLive();
    const pids = signalNetns(this.netns(name), signal);
    // Our own children among them (a RedisServer's, one from spawn()) are zombies until Node reaps them: wait,
    // so that their 'exit' listeners have run (the helper knows its server is gone) when this resolves.
    if (signal === 'SIGKILL') await reaped(pids, 2000);
    return pids;
  }

  /** SIGSTOPs every process in the host (a frozen machine: connections accepted by the kernel, never answered). */
  stopAll(name: string): number[] {
    this.assertLive();
    return signalNetns(this.netns(name), 'SIGSTOP');
  }

  contAll(name: string): number[] {
    this.assertLive();
    return signalNetns(this.netns(name), 'SIGCONT');
  }

  /** Kills every process in the hosts, removes the namespaces, veths and bridge, and gives the index back. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    const pids = this.names.flatMap((name) => this.pids(name));
    this.destroySync();
    await reaped(pids, 2000);
  }

  /** destroy() without waiting for Node to reap our children: what the 'exit' and signal handlers run. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    for (const child of this.children) child.kill('SIGKILL');
    try {
      removeInstance(this.index);
    } finally {
      this.claimSocket.close();
    }
  }

  private position(name: string): number {
    const i = this.names.indexOf(name);
    if (i < 0) throw new RangeError(`no host ${JSON.stringify(name)} (the hosts: ${this.names.join(', ')})`);
    return i;
  }

  private assertLive(): void {
    if (this.destroyed) throw new Error('Hosts: destroyed');
  }

  private build(): void {
    const bridge = bridgeName(this.index);
    // STP stays off (the default): a port forwards as soon as it is up, with no 15 s listening/learning delay.
    ip(['link', 'add', bridge, 'type', 'bridge']);
    ip(['addr', 'add', `${this.rootAddress}/24`, 'dev', bridge]);
    ip(['link', 'set', bridge, 'up']);
    for (const name of this.names) {
      const netns = this.netns(name);
      const veth = this.veth(name);
      ip(['netns', 'add', netns]);
      // The peer is made directly in the host's namespace, so its name `eth0` never meets the root's eth0.
      ip(['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      ip(['link', 'set', veth, 'master', bridge]);
      ip(['link', 'set', veth, 'up']);
      ip(['-n', netns, 'link', 'set', 'lo', 'up']);
      // Only the connected route of the /24: no default route, so anything else is "Network is unreachable".
      ip(['-n', netns, 'addr', 'add', `${this.address(name)}/24`, 'dev', 'eth0']);
      ip(['-n', netns, 'link', 'set', 'eth0', 'up']);
    }
  }
}

/**
 * Waits (at most timeoutMs) until none of `pids` is an unreaped child of this process. Node reaps a child and
 * emits its 'exit' in the same turn, so after this the helpers' listeners have seen their processes end. The
 * others (a postmaster, re-parented to pid 1 when pg_ctl exited) are not ours to wait for.
 */
async function reaped(pids: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isOurChild) && Date.now() < deadline) await sleep(10);
}

function isOurChild(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
  } catch {
    return false;
  }
}

/** Every instance of this process not destroyed yet, for the exit and signal handlers. */
const live = new Set<Hosts>();
let handlersInstalled = false;

/**
 * Tears every live instance down when the process ends: on 'exit' (the end of a test file, process.exit, an
 * uncaught throw) and on SIGINT/SIGTERM/SIGHUP (tap's timeout, Ctrl-C). Our signal listener goes first and once:
 * after it, another listener (tap's signal-exit, bench's own) does what it always did; with none, the signal is
 * raised again and kills us as it would have. A SIGKILLed run leaves its hosts behind: the next create() reaps
 * them (its claim died with it).
 */
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const tearDown = () => {
    for (const hosts of [...live]) {
      try {
        hosts.destroySync();
      } catch {
        // the next create() reaps what is left
      }
    }
  };
  process.once('exit', tearDown);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.prependOnceListener(signal, () => {
      tearDown();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}
