// bench:gossip — our gossip against serf (memberlist) in the same invocation, each member
// its own OS process on 127.0.0.1, for N = 16 and 64:
//   converge   until every member lists N live members, counted three ways: from spawning
//              the first member (this includes starting N OS processes on a shared CPU,
//              about 0.25 CPU-s for each Node member against a few ms for serf's Go binary,
//              so it measures process start more than gossip); from the moment the last
//              member was up (its "ready"/"agent running" line, printed before it joins);
//              and pairwise: the longest time, over every pair (a, b), from the moment
//              both were up until a listed b live — how long a member that is up stays
//              unknown to one that is up
//   event      one user broadcast until every other member has it (median of 3)
//   detect     SIGKILL of one member until every survivor reports it failed
//   false      members declared failed although alive, while 2 busy loops load the CPU
// Members report on stdout (ours: JSON lines from gossip-agent.js; serf: its info log,
// as anchors/serf.sh's agents run); the harness timestamps lines as they arrive, the
// same way for both. Every process started is killed by PID, also on failure.
//
//   npm run bench:gossip [-- --ns 16,64 --events 3 --load-s 20 --tail-s 10 --only tsswarm|serf]
import { spawn, execFile, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import readline from 'node:readline';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    ns: { type: 'string', default: '16,64' },
    events: { type: 'string', default: '3' },
    'load-s': { type: 'string', default: '20' },
    'tail-s': { type: 'string', default: '10' },
    only: { type: 'string' },
  },
});
const NS = values.ns.split(',').map(Number);
const EVENTS = Number(values.events);
const LOAD_S = Number(values['load-s']);
const TAIL_S = Number(values['tail-s']);
const IP = '127.0.0.1';
const AGENT = fileURLToPath(new URL('./gossip-agent.js', import.meta.url));

const wall = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (m: string): void => console.error(`[bench ${new Date().toISOString().slice(11, 23)}] ${m}`);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

// Every process we start, so that any exit path can kill it.
const children = new Set<ChildProcess>();
function track(p: ChildProcess): ChildProcess {
  children.add(p);
  p.on('exit', () => children.delete(p));
  return p;
}
function killAll(): void {
  for (const p of children) if (p.pid !== undefined) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', killAll);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

interface Agent {
  name: string;
  proc: ChildProcess;
  /** What this member believes of each member: live (alive or suspect) or not. */
  live: Map<string, boolean>;
  readyAt?: number;
  addr?: string;
  convergedAt?: number;
  /** When this member first listed each other member live. */
  seenAt: Map<string, number>;
  userAt: Map<string, number>;
  /** Each 'failed' report: who, when. */
  failed: { name: string; at: number }[];
  exited: boolean;
}

interface System {
  name: 'tsswarm' | 'serf';
  spawn(i: number, seed: Agent | undefined): Agent;
  broadcast(a: Agent, ev: string): void;
}

function newAgent(name: string, proc: ChildProcess): Agent {
  const a: Agent = { name, proc: track(proc), live: new Map([[name, true]]), seenAt: new Map(), userAt: new Map(), failed: [], exited: false };
  proc.on('exit', () => { a.exited = true; });
  // Drained; a member's own complaints (a failed join, say) are shown.
  readline.createInterface({ input: proc.stderr! }).on('line', (line) => {
    if (/join failed|error/i.test(line)) log(`${name}: ${line.trim()}`);
  });
  return a;
}

function setLive(a: Agent, who: string, live: boolean, n: number, at: number): void {
  a.live.set(who, live);
  if (live && !a.seenAt.has(who)) a.seenAt.set(who, at);
  if (a.convergedAt === undefined && [...a.live.values()].filter(Boolean).length === n) a.convergedAt = at;
}

function tsswarm(n: number): System {
  const key = randomBytes(32).toString('hex');
  return {
    name: 'tsswarm',
    spawn(i, seed) {
      const args = [AGENT, `m${i}`, `${IP}:0`, key];
      if (seed?.addr !== undefined) args.push(seed.addr);
      const a = newAgent(`m${i}`, spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] }));
      readline.createInterface({ input: a.proc.stdout! }).on('line', (line) => {
        const at = wall();
        let o: { ev?: string; type?: string; name?: string; state?: string; text?: string; addr?: string };
        try {
          o = JSON.parse(line) as typeof o;
        } catch {
          return;
        }
        if (o.ev === 'ready') { a.readyAt = at; a.addr = o.addr; }
        else if (o.ev === 'member' && o.name !== undefined) {
          setLive(a, o.name, o.state === 'alive' || o.state === 'suspect', n, at);
          if (o.type === 'failed') a.failed.push({ name: o.name, at });
        } else if (o.ev === 'user' && o.text !== undefined && !a.userAt.has(o.text)) a.userAt.set(o.text, at);
      });
      return a;
    },
    broadcast(a, ev) {
      a.proc.stdin!.write(`broadcast ${ev}\n`);
    },
  };
}

function serf(n: number, bindBase: number, rpcBase: number): System {
  // Encrypted like ours, so both sides pay for AES-GCM.
  const key = randomBytes(32).toString('base64');
  return {
    name: 'serf',
    spawn(i, seed) {
      const args = ['agent', `-bind=${IP}:${bindBase + i}`, `-rpc-addr=${IP}:${rpcBase + i}`, `-node=s${i}`, '-profile=lan', '-log-level=info', `-encrypt=${key}`];
      if (seed !== undefined) args.push(`-join=${IP}:${bindBase}`);
      const a = newAgent(`s${i}`, spawn('serf', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
      a.addr = `${IP}:${rpcBase + i}`;
      readline.createInterface({ input: a.proc.stdout! }).on('line', (line) => {
        const at = wall();
        let m: RegExpExecArray | null;
        if (line.includes('Serf agent running!')) a.readyAt = at;
        else if ((m = /EventMemberJoin: (\S+)/.exec(line)) !== null) setLive(a, m[1]!, true, n, at);
        else if ((m = /EventMemberFailed: (\S+)/.exec(line)) !== null) {
          setLive(a, m[1]!, false, n, at);
          a.failed.push({ name: m[1]!, at });
        } else if ((m = /EventMemberLeave: (\S+)/.exec(line)) !== null) setLive(a, m[1]!, false, n, at);
        else if ((m = /Received event: user-event: (\S+)/.exec(line)) !== null && !a.userAt.has(m[1]!)) a.userAt.set(m[1]!, at);
      });
      return a;
    },
    broadcast(a, ev) {
      execFile('serf', ['event', `-rpc-addr=${a.addr!}`, '-coalesce=false', ev, 'x'], { timeout: 5000 }, (err) => {
        if (err) log(`serf event: ${err.message}`);
      });
    },
  };
}

async function waitFor(what: string, ok: () => boolean, ms: number): Promise<boolean> {
  const end = wall() + ms;
  while (!ok()) {
    if (wall() > end) {
      log(`timed out after ${ms} ms waiting for ${what}`);
      return false;
    }
    await sleep(5);
  }
  return true;
}

type Figures = Record<string, number>;

async function measure(sys: System, n: number): Promise<Figures> {
  const f: Figures = {};
  const agents: Agent[] = [];
  try {
    // ---- convergence, from spawning the seed
    const t0 = wall();
    const seed = sys.spawn(0, undefined);
    agents.push(seed);
    if (!(await waitFor(`${sys.name} seed ready`, () => seed.readyAt !== undefined || seed.exited, 15_000)) || seed.exited) {
      throw new Error(`${sys.name} seed did not start`);
    }
    // spawn() blocks for a fork+exec (tens of ms, more on a busy machine); yielding after
    // each one lets the line handlers timestamp output as it arrives. Without it, the
    // lines of members that start fast (serf) pile up until the loop ends and all get the
    // same late timestamp, which makes "after the last member was up" look near zero.
    for (let i = 1; i < n; i++) {
      agents.push(sys.spawn(i, seed));
      await new Promise<void>((r) => setImmediate(r));
    }
    const conv = await waitFor(`${sys.name} N=${n} convergence`, () => agents.every((a) => a.convergedAt !== undefined) || agents.some((a) => a.exited), 60_000);
    const dead = agents.filter((a) => a.exited).map((a) => a.name);
    if (dead.length > 0) throw new Error(`${sys.name} members exited while joining: ${dead.join(', ')} (port taken?)`);
    const lastReady = Math.max(...agents.map((a) => a.readyAt ?? NaN));
    const lastConverged = conv ? Math.max(...agents.map((a) => a.convergedAt!)) : NaN;
    f.converge_ms = lastConverged - t0;
    f.converge_after_last_ready_ms = lastConverged - lastReady;
    let pair = 0;
    for (const a of agents) {
      for (const b of agents) {
        if (a !== b) pair = Math.max(pair, (a.seenAt.get(b.name) ?? NaN) - Math.max(a.readyAt!, b.readyAt!));
      }
    }
    f.converge_pairwise_ms = conv ? pair : NaN;
    if (conv) {
      // Who converged last, and which member it learned of last: where a slow figure comes from.
      const lastAgent = agents.reduce((x, y) => (y.convergedAt! > x.convergedAt! ? y : x));
      const [lastSeen, at] = [...lastAgent.seenAt].reduce((x, y) => (y[1] > x[1] ? y : x));
      const who = agents.find((a) => a.name === lastSeen);
      log(`${sys.name} N=${n}: ${lastAgent.name} converged last; it learned of ${lastSeen} last, ${(at - Math.max(lastAgent.readyAt!, who?.readyAt ?? 0)).toFixed(0)} ms after both were up`);
    }
    f.start_spread_ms = lastReady - t0;
    log(`${sys.name} N=${n} converged: ${f.converge_ms.toFixed(0)} ms from the first spawn (the last member was up after ${f.start_spread_ms.toFixed(0)} ms), `
      + `${f.converge_after_last_ready_ms.toFixed(0)} ms after the last member was up, pairwise at most ${pair.toFixed(0)} ms after both were up`);
    await sleep(1000);

    // ---- dissemination of a user event to all others
    const evTimes: number[] = [];
    for (let k = 0; k < EVENTS; k++) {
      const ev = `ev-${n}-${k}`;
      const origin = agents[1 + (k % (n - 1))]!;
      const others = agents.filter((a) => a !== origin);
      const ts = wall();
      sys.broadcast(origin, ev);
      if (await waitFor(`${sys.name} event ${ev}`, () => others.every((a) => a.userAt.has(ev)), 10_000)) {
        evTimes.push(Math.max(...others.map((a) => a.userAt.get(ev)!)) - ts);
      }
      await sleep(1000);
    }
    f.event_all_ms = evTimes.length === EVENTS ? median(evTimes) : NaN;
    log(`${sys.name} N=${n} event reached all: ${evTimes.map((x) => x.toFixed(0)).join(', ')} ms`);

    // ---- failure detection of a SIGKILLed member
    const victim = agents[Math.floor(n / 2)]!;
    const survivors = agents.filter((a) => a !== victim);
    const tk = wall();
    process.kill(victim.proc.pid!, 'SIGKILL');
    const seenFailed = (a: Agent): number | undefined => a.failed.find((x) => x.name === victim.name && x.at >= tk)?.at;
    const det = await waitFor(`${sys.name} N=${n} failure detection`, () => survivors.every((a) => seenFailed(a) !== undefined), 60_000);
    f.detect_all_ms = det ? Math.max(...survivors.map((a) => seenFailed(a)!)) - tk : NaN;
    log(`${sys.name} N=${n} SIGKILL of ${victim.name} seen by all ${n - 1} in ${f.detect_all_ms.toFixed(0)} ms`);

    // ---- false failures while the CPU is busy
    await sleep(2000);
    const tl = wall();
    const burners = [0, 1].map(() => track(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' })));
    await sleep(LOAD_S * 1000);
    for (const b of burners) b.kill('SIGKILL');
    await sleep(TAIL_S * 1000); // suspicions raised under load may only time out now
    const wrong = new Set<string>();
    let reports = 0;
    for (const a of survivors) {
      for (const x of a.failed) {
        if (x.at >= tl && x.name !== victim.name) {
          wrong.add(x.name);
          reports++;
        }
      }
    }
    f.false_failed_members = wrong.size;
    f.false_failed_reports = reports;
    log(`${sys.name} N=${n} under load: ${wrong.size} live members declared failed (${reports} reports)`);
    return f;
  } finally {
    for (const a of agents) if (!a.exited) a.proc.kill('SIGTERM');
    await waitFor('members to exit', () => agents.every((a) => a.exited), 5000);
    for (const a of agents) if (!a.exited) a.proc.kill('SIGKILL');
    await sleep(500);
  }
}

async function portsFree(from: number, count: number): Promise<boolean> {
  for (let p = from; p < from + count; p++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(p, IP, () => {
        const u = dgram.createSocket('udp4');
        u.once('error', () => { u.close(); s.close(() => resolve(false)); });
        u.bind(p, IP, () => u.close(() => s.close(() => resolve(true))));
      });
    });
    if (!ok) return false;
  }
  return true;
}

function haveSerf(): boolean {
  try {
    execFileSync('serf', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const runSerf = values.only !== 'tsswarm';
  if (runSerf && !haveSerf()) {
    console.error('bench:gossip needs the serf binary as its anchor: apt-get update && apt-get install -y serf (scripts/setup.sh installs it); or pass --only tsswarm');
    process.exit(2);
  }
  const rows: { key: string; ours: number; anchor: number }[] = [];
  for (const n of NS) {
    let ours: Figures = {};
    let anchor: Figures = {};
    if (runSerf) {
      let base = 0;
      for (let tries = 0; tries < 20 && base === 0; tries++) {
        // Below Linux's ephemeral range (32768..60999): a port there can be taken by any
        // outgoing connection between our check and serf's bind.
        const b = 20_000 + Math.floor(Math.random() * (32_768 - 20_000 - 2 * n));
        if (await portsFree(b, 2 * n)) base = b;
      }
      if (base === 0) throw new Error('no free port range for serf');
      log(`serf N=${n} on ports ${base}.. (rpc ${base + n}..)`);
      anchor = await measure(serf(n, base, base + n), n);
      await sleep(2000);
    }
    if (values.only !== 'serf') ours = await measure(tsswarm(n), n);
    for (const k of Object.keys({ ...ours, ...anchor })) rows.push({ key: `n${n}_${k}`, ours: ours[k] ?? NaN, anchor: anchor[k] ?? NaN });
  }
  // Lower is better everywhere; the ratio is serf / tsswarm so that >= 1 means "as good".
  console.log('metric tsswarm serf ratio(>=1 is tsswarm as good or better)');
  console.log('# converge_ms counts from spawning the first member and so includes starting N processes (start_spread_ms:');
  console.log('# when the last member was up); converge_after_last_ready_ms and converge_pairwise_ms count from members being up.');
  for (const r of rows) {
    const counts = r.key.includes('false_');
    const ratio = counts ? NaN : r.anchor / r.ours;
    const fmt = (x: number): string => (Number.isNaN(x) ? '-' : counts ? String(x) : x.toFixed(0));
    console.log(`${r.key} ${fmt(r.ours)} ${fmt(r.anchor)} ${Number.isNaN(ratio) ? '-' : ratio.toFixed(2)}`);
  }
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(`[bench] FATAL ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
