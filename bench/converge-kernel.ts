// What bench:converge observes in the kernel, and the hand-made anchor it compares with.
//   TableWatch  one `bridge monitor fdb`, `ip monitor neigh` and `ip monitor link` per
//               sandbox, running for the whole bench: each line is stamped as it arrives,
//               so the moment an entry (or a local veth) appears or goes is seen without
//               spawning `ip` per poll.
//   Pinger      one `ping -D -i 0.01` from a container namespace: the first reply's own
//               kernel-side timestamp says when the path started to work.
//   anchor      a sandbox built with plain ip commands in the same shape as tsswarm's
//               (bridge br0 + vxlan0 with proxy ARP, veth to a container), programmed by
//               one `bridge -batch` and one `ip -batch` per host, as the daemon does.
import { children, stopChild } from './children.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { watch, type FSWatcher } from 'node:fs';
import { run } from '../shared/run.js';

/** Wall-clock milliseconds with sub-millisecond resolution, comparable with ping -D stamps. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** iproute2 calls take milliseconds; 20 s only bounds a stuck one. */
const CMD_TIMEOUT_MS = 20_000;
/** A monitor subscribes within a few ms of starting; 300 ms leaves room on a loaded box. */
const MONITOR_SETTLE_MS = 300;

export async function sh(argv: string[], input?: string): Promise<string> {
  const r = await run(argv, { timeoutMs: CMD_TIMEOUT_MS, input });
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

export { children, stopChild } from './children.js';

/**
 * Resolves with the first value `find` gives (checked now and whenever the owner runs its
 * `waiters`), or undefined after `timeoutMs`.
 */
function waitUntil(waiters: Set<() => void>, find: () => number | undefined, timeoutMs: number): Promise<number | undefined> {
  const hit = find();
  if (hit !== undefined) return Promise.resolve(hit);
  return new Promise((resolve) => {
    const check = (): void => {
      const at = find();
      if (at !== undefined) done(at);
    };
    const done = (at: number | undefined): void => {
      clearTimeout(timer);
      waiters.delete(check);
      resolve(at);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    waiters.add(check);
  });
}

/** Calls `onLine(line, arrival)` for each complete stdout line of a long-running child. */
function spawnLines(argv: string[], onLine: (line: string, at: number) => void): ChildProcess {
  const [cmd, ...args] = argv;
  const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let buf = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    const at = now();
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i), at);
      buf = buf.slice(i + 1);
    }
  });
  child.stderr!.resume();
  return child;
}

export type TableKind = 'fdb' | 'neigh' | 'link';

interface TableEvent { at: number; kind: TableKind; key: string; deleted: boolean }

const FDB_LINE = /^(Deleted )?([0-9a-f]{2}(?::[0-9a-f]{2}){5}) dev (\S+) dst (\S+)/;
// `ip monitor neigh` also prints the vxlan FDB entries, keyed by their VTEP address; those
// addresses are underlay addresses, never overlay ones, so keying by address keeps them apart.
const NEIGH_ADD = /^()(\d+\.\d+\.\d+\.\d+) dev (\S+) lladdr \S+ .*PERMANENT/;
// A deleted permanent entry is reported without its MAC ("Deleted 10.40.1.10 dev vxlan0 FAILED").
const NEIGH_DEL = /^(Deleted )(\d+\.\d+\.\d+\.\d+) dev (\S+)/;
/** "12: ve0a280105@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 ... master br0 ...". */
const LINK_LINE = /^(Deleted )?\d+: ([^:@\s]+)(?:@\S+)?: <([^>]*)>.* master (\S+)/;

/**
 * The FDB (MAC → VTEP) and neighbour (IP → MAC) events of one sandbox's vxlan device, and
 * the moments local endpoints' veths come up on (or leave) the sandbox's bridge.
 */
export class TableWatch {
  private readonly events: TableEvent[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly procs: ChildProcess[] = [];

  constructor(readonly host: string, readonly sandbox: string, private readonly dev: string, private readonly bridge = 'br0') {}

  async start(): Promise<void> {
    this.procs.push(spawnLines(['bridge', '-n', this.sandbox, 'monitor', 'fdb'], (line, at) => {
      const m = FDB_LINE.exec(line);
      if (m && m[3] === this.dev) this.push({ at, kind: 'fdb', key: m[2]!, deleted: m[1] !== undefined });
    }));
    this.procs.push(spawnLines(['ip', '-n', this.sandbox, 'monitor', 'neigh'], (line, at) => {
      const m = NEIGH_DEL.exec(line) ?? NEIGH_ADD.exec(line);
      if (m && m[3] === this.dev) this.push({ at, kind: 'neigh', key: m[2]!, deleted: m[1] !== '' });
    }));
    this.procs.push(spawnLines(['ip', '-n', this.sandbox, 'monitor', 'link'], (line, at) => {
      const m = LINK_LINE.exec(line);
      if (!m || m[4] !== this.bridge) return;
      const deleted = m[1] !== undefined;
      // An add counts once the port is up: the last step on the sandbox side of an attach.
      if (deleted || m[3]!.split(',').includes('UP')) this.push({ at, kind: 'link', key: m[2]!, deleted });
    }));
    await sleep(MONITOR_SETTLE_MS);
    for (const p of this.procs) {
      if (p.exitCode !== null) throw new Error(`monitor of ${this.sandbox} on ${this.host} exited ${p.exitCode}`);
    }
  }

  private push(e: TableEvent): void {
    this.events.push(e);
    for (const w of [...this.waiters]) w();
  }

  /** When the first matching event at or after `since` arrived, if one has. */
  first(kind: TableKind, key: string, deleted: boolean, since: number): number | undefined {
    return this.events.find((e) => e.kind === kind && e.key === key && e.deleted === deleted && e.at >= since)?.at;
  }

  /** Waits for a matching event; undefined after `timeoutMs`. */
  wait(kind: TableKind, key: string, deleted: boolean, since: number, timeoutMs: number): Promise<number | undefined> {
    return waitUntil(this.waiters, () => this.first(kind, key, deleted, since), timeoutMs);
  }

  /** Drops events before `before`, so 50 samples do not make each search longer. */
  forget(before: number): void {
    const keep = this.events.filter((e) => e.at >= before);
    this.events.length = 0;
    this.events.push(...keep);
  }

  async stop(): Promise<void> {
    await Promise.all(this.procs.splice(0).map((p) => stopChild(p)));
  }
}

/** 100 pings/s: a reply is seen at most 10 ms after the path works, at 84-byte packets. */
const PING_INTERVAL_S = '0.01';

/** Pings `address` from namespace `netns` until stopped; remembers the first reply's own timestamp. */
export class Pinger {
  private child: ChildProcess | undefined;
  private firstAt: number | undefined;
  private waiter: (() => void) | undefined;

  constructor(private readonly netns: string, private readonly address: string) {}

  start(): void {
    this.child = spawnLines(['ip', 'netns', 'exec', this.netns, 'ping', '-D', '-n', '-i', PING_INTERVAL_S, this.address], (line) => {
      // "[1795623996.155276] 64 bytes from 10.40.1.5: icmp_seq=1 ttl=64 time=0.033 ms": -D is
      // the time ping received the reply, independent of when the line reached us.
      const m = /^\[(\d+\.\d+)\] \d+ bytes from /.exec(line);
      if (m && this.firstAt === undefined) {
        this.firstAt = Number(m[1]) * 1000;
        this.waiter?.();
      }
    });
  }

  /** The wall-clock ms of the first reply, or undefined after `timeoutMs`. */
  firstReply(timeoutMs: number): Promise<number | undefined> {
    if (this.firstAt !== undefined) return Promise.resolve(this.firstAt);
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.waiter = undefined; resolve(undefined); }, timeoutMs);
      this.waiter = (): void => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(this.firstAt);
      };
    });
  }

  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child);
    this.child = undefined;
  }
}

/**
 * ARP retransmit of 10 ms instead of the default 1 s on a pinging namespace's eth0: the
 * ping starts before the address is reachable, so its ARP fails and, with 1 s between
 * tries, the bench would measure the ARP timer rather than when the entries arrived.
 */
export async function fastArp(netns: string): Promise<void> {
  await sh(['ip', 'netns', 'exec', netns, 'sysctl', '-q', '-w', 'net.ipv4.neigh.eth0.retrans_time_ms=10']);
}

// ---- the anchor: the same kernel topology, programmed by hand ----

export interface AnchorSandbox {
  host: string;
  hostNetns: string;
  vtep: string;
  /** Namespace of the sandbox (bridge + vxlan device). */
  name: string;
  mtu: number;
  prefixLen: number;
}

/** Names in the anchor sandbox: the same as tsswarm's, in a namespace of their own. */
export const ANCHOR_BRIDGE = 'br0';
export const ANCHOR_VXLAN = 'vxlan0';

/** Everything of the anchor made so far, removed by removeAnchor even after a failure. */
export const anchorNetns = new Set<string>();

async function addNetns(name: string): Promise<void> {
  await sh(['ip', 'netns', 'add', name]);
  anchorNetns.add(name);
}

/** A sandbox like worker/overlay's: bridge with the gateway, vxlan device with proxy ARP, no learning. */
export async function buildAnchorSandbox(sb: AnchorSandbox, vni: number, gatewayCidr: string): Promise<void> {
  await addNetns(sb.name);
  const n = sb.name;
  await sh(['ip', '-n', n, 'link', 'set', 'lo', 'up']);
  await sh(['ip', '-n', n, 'link', 'add', ANCHOR_BRIDGE, 'mtu', String(sb.mtu), 'type', 'bridge']);
  await sh(['ip', '-n', n, 'addr', 'add', gatewayCidr, 'dev', ANCHOR_BRIDGE]);
  await sh(['ip', '-n', sb.hostNetns, 'link', 'add', ANCHOR_VXLAN, 'netns', n, 'mtu', String(sb.mtu), 'type', 'vxlan',
    'id', String(vni), 'dstport', '4789', 'local', sb.vtep, 'nolearning', 'proxy']);
  await sh(['ip', '-n', n, 'link', 'set', ANCHOR_VXLAN, 'master', ANCHOR_BRIDGE]);
  await sh(['ip', '-n', n, 'link', 'set', ANCHOR_VXLAN, 'type', 'bridge_slave', 'learning', 'off']);
  await sh(['ip', '-n', n, 'link', 'set', ANCHOR_VXLAN, 'up']);
  await sh(['ip', '-n', n, 'link', 'set', ANCHOR_BRIDGE, 'up']);
}

/** A container namespace on the anchor sandbox's bridge, with address and MAC. */
export async function addAnchorEndpoint(sb: AnchorSandbox, netns: string, veth: string, address: string, mac: string): Promise<void> {
  await addNetns(netns);
  await sh(['ip', '-n', sb.name, 'link', 'add', veth, 'mtu', String(sb.mtu), 'type', 'veth',
    'peer', 'name', 'eth0', 'address', mac, 'mtu', String(sb.mtu), 'netns', netns]);
  await sh(['ip', '-n', sb.name, 'link', 'set', veth, 'master', ANCHOR_BRIDGE]);
  await sh(['ip', '-n', sb.name, 'link', 'set', veth, 'up']);
  await sh(['ip', '-n', netns, 'link', 'set', 'lo', 'up']);
  await sh(['ip', '-n', netns, 'addr', 'add', `${address}/${sb.prefixLen}`, 'dev', 'eth0']);
  await sh(['ip', '-n', netns, 'link', 'set', 'eth0', 'up']);
}

export async function removeNetns(name: string): Promise<void> {
  const r = await run(['ip', 'netns', 'del', name], { timeoutMs: CMD_TIMEOUT_MS });
  if (r.code !== 0 && !/No such file/.test(r.stderr)) throw new Error(`netns ${name}: ${r.stderr.trim()}`);
  anchorNetns.delete(name);
}

export interface AnchorPeer { ip: string; mac: string; vtep: string }

/** What the daemon does per change set: one `bridge -batch`, then one `ip -batch`. */
export async function programAnchor(sandbox: string, add: AnchorPeer[], del: AnchorPeer[]): Promise<void> {
  const fdb = [
    ...del.map((p) => `fdb del ${p.mac} dev ${ANCHOR_VXLAN} dst ${p.vtep} self`),
    ...add.map((p) => `fdb replace ${p.mac} dev ${ANCHOR_VXLAN} dst ${p.vtep} self permanent`),
  ];
  const neigh = [
    ...del.map((p) => `neigh del ${p.ip} dev ${ANCHOR_VXLAN}`),
    ...add.map((p) => `neigh replace ${p.ip} lladdr ${p.mac} dev ${ANCHOR_VXLAN} nud permanent`),
  ];
  await sh(['bridge', '-n', sandbox, '-batch', '-'], `${fdb.join('\n')}\n`);
  await sh(['ip', '-n', sandbox, '-batch', '-'], `${neigh.join('\n')}\n`);
}

/** Removes every anchor namespace, sandboxes' vxlan devices first (they hold the VNI on the host's port). */
export async function removeAnchor(sandboxes: string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const sb of sandboxes) {
    if (!anchorNetns.has(sb)) continue;
    const r = await run(['ip', '-n', sb, 'link', 'del', ANCHOR_VXLAN], { timeoutMs: CMD_TIMEOUT_MS });
    if (r.code !== 0 && !/Cannot find device/.test(r.stderr)) problems.push(`${sb} vxlan0: ${r.stderr.trim()}`);
  }
  for (const n of [...anchorNetns]) {
    try {
      await removeNetns(n);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return problems;
}

/**
 * Renames of one file in a directory, stamped as they arrive (inotify). Used on an
 * observer's dns.json, which its daemon rewrites as soon as a gossiped dns-table event is
 * applied, with no process spawned: the moment a host heard of a change.
 */
export class FileWatch {
  private readonly times: number[] = [];
  private readonly waiters = new Set<() => void>();
  private watcher: FSWatcher | undefined;

  constructor(private readonly dir: string, private readonly file: string) {}

  start(): void {
    this.watcher = watch(this.dir, (_event, name) => {
      if (name !== this.file) return;
      this.times.push(now());
      for (const w of [...this.waiters]) w();
    });
  }

  /** The first change at or after `since`, waiting up to `timeoutMs`. */
  wait(since: number, timeoutMs: number): Promise<number | undefined> {
    return waitUntil(this.waiters, () => this.times.find((t) => t >= since), timeoutMs);
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}

