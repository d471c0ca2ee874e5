// A whole simulated cluster on a virtual clock: members running the real
// core, a hostile network, clients with a KV workload, and a nemesis that
// crashes, pauses and partitions members, changes membership and moves
// leadership. Invariants are checked on every Ready (so after every step);
// the clients' history is checked for linearizability at the end, after the
// world has been healed and the cluster has converged.

import { MemoryStorage } from '../../manager/raft/core/memory_storage.js';
import type { CoreConfig } from '../../manager/raft/core/config.js';
import { MessageType, Role, type ConfChange, type ConfState, type Message, type NodeId } from '../../manager/raft/core/types.js';
import { TraceHash, VirtualClock } from './clock.js';
import { SimDisk } from './durable.js';
import type { ClientOp } from './history.js';
import { Invariants, SimFailure } from './invariants.js';
import { KvStateMachine, type Command, type CommandResult } from './kv.js';
import { checkKvHistory } from './linearizability.js';
import { CALM, Network, copyMessage } from './network.js';
import { SimNode, type NodeHost } from './node.js';
import { Figure8, type Stage } from './figure8.js';
import { chooseParams, type SimParams } from './params.js';
import { Prng } from './prng.js';
import { Membership } from './membership.js';
import { Nemesis } from './nemesis.js';
import { newStats, type SimStats } from './stats.js';
import { Workload } from './workload.js';

export interface SimConfig {
  seed: number;
  /** Voters at bootstrap. */
  nodes: number;
  /** Events in the active (faulty) phase; then the world heals and the cluster must converge. */
  steps: number;
  knobs?: CoreConfig['testingKnobs'];
  /**
   * How the founding voters are written: 'log' (default) as committed AddVoter entries
   * (the core's bootstrapState, as etcd does); 'snapshot' in a snapshot at index 1;
   * 'conf' only as saved membership with an empty log, which is unsafe (a member added
   * later replays the log from index 1 and never learns the founders) and is here to
   * show that the simulator catches it.
   */
  bootstrap?: 'log' | 'snapshot' | 'conf';
  /**
   * 'figure8' starts the run with the scripted Figure 8 prelude (five voters only);
   * by default a seed picks it now and then for five-voter clusters.
   */
  scenario?: 'random' | 'figure8';
  /** 'events' logs what happens; 'messages' logs every delivery too. */
  verbose?: 'events' | 'messages';
  log?: (line: string) => void;
}

export type { SimStats } from './stats.js';

export interface SimResult {
  seed: number;
  nodes: number;
  ok: boolean;
  failure?: { kind: string; message: string; atMs: number; event: number };
  traceHash: string;
  stats: SimStats;
  wallMs: number;
}

type Phase = 'prelude' | 'active' | 'healing' | 'done';

/** How long after healing the cluster gets to elect a leader and converge. */
const CONVERGE_DEADLINE_MS = 30_000;

export class Cluster implements NodeHost<ClientOp> {
  readonly inv = new Invariants();
  readonly clock = new VirtualClock();
  readonly trace = new TraceHash();
  readonly stats: SimStats = newStats();
  readonly params: SimParams;
  readonly net: Network;
  /** Every member ever created, in creation order (iteration order must be deterministic). */
  readonly nodes: SimNode<ClientOp>[] = [];
  readonly scenario: 'random' | 'figure8';
  readonly workload: Workload;
  private readonly rng: Prng;
  private readonly netRng: Prng;
  private readonly faultRng: Prng;
  private readonly nemesis: Nemesis;
  private membership: Membership | undefined;
  private director: Figure8<SimNode<ClientOp>> | undefined;
  private readonly byId = new Map<NodeId, SimNode<ClientOp>>();
  private readonly tickMs = new Map<NodeId, number>();
  private nextNodeNum = 1;
  private phase: Phase = 'active';
  private healedAt = 0;

  constructor(readonly cfg: SimConfig) {
    this.rng = new Prng(cfg.seed);
    this.params = chooseParams(this.rng.fork(), cfg.nodes);
    if (cfg.knobs) this.params.core.testingKnobs = { ...cfg.knobs };
    this.netRng = this.rng.fork();
    this.faultRng = this.rng.fork();
    const clientRng = this.rng.fork();
    this.net = new Network(this.netRng, { ...this.params.net });
    const pick = this.rng.fork();
    this.scenario = cfg.scenario ?? (cfg.nodes === 5 && pick.chance(0.1) ? 'figure8' : 'random');
    if (this.scenario === 'figure8') {
      if (cfg.nodes !== 5) throw new Error('the figure8 scenario needs --nodes 5');
      // One entry per App, so that an old entry can reach a follower without the new leader's own.
      this.params.core.maxSizePerMsg = 1;
    }
    const active = (): boolean => this.phase === 'active';
    const log = (line: () => string): void => this.log(line);
    this.workload = new Workload(
      {
        clock: this.clock,
        trace: this.trace,
        params: this.params,
        stats: this.stats,
        active,
        upNodes: () => this.nodes.filter((n) => n.state === 'up'),
        node: (id) => this.byId.get(id),
        log,
      },
      clientRng,
    );
    this.nemesis = new Nemesis(
      {
        clock: this.clock,
        net: this.net,
        params: this.params,
        stats: this.stats,
        nodes: this.nodes,
        active,
        leader: () => this.leader(),
        members: () => this.members(),
        crash: (n, ms) => this.crash(n, ms),
        restart: (n) => this.restart(n),
        log,
      },
      this.faultRng,
    );
  }

  // ---- NodeHost -------------------------------------------------------------------

  log(line: () => string): void {
    if (this.cfg.verbose && this.cfg.log) this.cfg.log(`${String(this.clock.now).padStart(7)} ${line()}`);
  }

  send(_from: SimNode<ClientOp>, m: Message): void {
    const delays = this.net.route(m);
    for (const d of delays) {
      const copy = copyMessage(m);
      this.clock.after(d, 'msg', () => this.deliver(copy));
    }
  }

  onCommandApplied(node: SimNode<ClientOp>, index: number, cmd: Command, result: CommandResult, repeat: boolean): void {
    this.workload.onCommandApplied(node, index, cmd, result, repeat);
  }

  onReadServed(_node: SimNode<ClientOp>, op: ClientOp, value: string | null): void {
    this.workload.onReadServed(op, value);
  }

  onConfApplied(node: SimNode<ClientOp>, cc: ConfChange, conf: ConfState, index: number): void {
    this.membership?.onApplied(node, cc, conf, index);
  }

  onRoleChange(node: SimNode<ClientOp>, role: Role, lead: NodeId, term: number): void {
    this.log(() => `${node.id} is ${role} in term ${term} (leader ${lead || 'unknown'})`);
    if (role !== Role.Leader) return;
    this.director?.onLeader(node);
    this.membership?.onNewLeader(node);
    this.nemesis.onNewLeader(node);
  }

  onCommit(node: SimNode<ClientOp>, commit: number): void {
    if (this.director) this.director.onCommit(node, commit);
    else if (node.role === Role.Leader) this.nemesis.onLeaderCommit(node, commit);
  }

  onSnapshot(node: SimNode<ClientOp>, how: 'created' | 'installed', index: number): void {
    if (how === 'created') this.stats.snapshotsCreated++;
    else this.stats.snapshotsInstalled++;
    if (how === 'created') this.log(() => `${node.id} snapshot at ${index}`);
  }

  // ---- members --------------------------------------------------------------------

  private makeNode(initial?: MemoryStorage): SimNode<ClientOp> {
    const id = `n${this.nextNodeNum++}`;
    const node = new SimNode<ClientOp>(
      id,
      new SimDisk(initial),
      this,
      this.params.core,
      this.params.snapshotEvery,
      this.params.keepEntries,
      this.rng.fork(),
    );
    this.nodes.push(node);
    this.byId.set(id, node);
    // Clocks drift: each member ticks at its own slightly different rate.
    this.tickMs.set(id, this.params.tickMs + this.rng.range(-1, 1));
    return node;
  }

  private startNode(node: SimNode<ClientOp>): void {
    node.start();
    const inc = node.incarnation;
    const period = this.tickMs.get(node.id)!;
    const loop = (): void => {
      if (node.state !== 'up' || node.incarnation !== inc) return;
      if (node.pausedUntil <= this.clock.now) node.tick();
      this.clock.after(period, 'tick', loop);
    };
    this.clock.after(this.faultRng.range(0, period), 'tick', loop);
  }

  private deliver(m: Message): void {
    if (this.cfg.verbose === 'messages') {
      this.log(
        () =>
          `  ${m.from}->${m.to} ${MessageType[m.type]} t${m.term} i${m.index} lt${m.logTerm} c${m.commit} n${m.entries.length}` +
          `${m.reject ? ' reject' : ''}${m.snapOffset !== undefined ? ` off${m.snapOffset}${m.snapDone ? ' done' : ''}` : ''}`,
      );
    }
    this.trace.num(m.type);
    this.trace.str(m.to);
    this.trace.num(m.term);
    this.trace.num(m.index);
    const node = this.byId.get(m.to);
    if (!node || node.state !== 'up') {
      // The sender's transport would notice the broken connection.
      const sender = this.byId.get(m.from);
      if (sender && sender.state === 'up' && this.netRng.chance(0.3)) {
        sender.core().reportUnreachable(m.to);
        sender.handle();
      }
      return;
    }
    if (this.net.isCut(m.from, m.to)) return;
    if (node.pausedUntil > this.clock.now) {
      this.clock.after(node.pausedUntil - this.clock.now + this.netRng.range(0, 2), 'msg', () => this.deliver(m));
      return;
    }
    node.step(m);
  }

  /** The up member that believes it leads in the highest term. */
  leader(): SimNode<ClientOp> | undefined {
    let best: SimNode<ClientOp> | undefined;
    for (const n of this.nodes) if (n.isLeader && (!best || n.term > best.term)) best = n;
    return best;
  }

  /** Members as the best-informed node sees them (the leader, else the node with the highest commit). */
  members(): ConfState {
    const l = this.leader();
    if (l) return l.conf;
    let best: SimNode<ClientOp> | undefined;
    for (const n of this.nodes) if (n.state !== 'gone' && (!best || n.applied > best.applied)) best = n;
    return best ? best.conf : { voters: [], learners: [] };
  }

  /** Crashes `node`; it restarts by itself after `downMs` unless that is undefined. */
  private crash(node: SimNode<ClientOp>, downMs: number | undefined): void {
    const lost = node.crash();
    this.stats.crashes++;
    this.stats.lostWrites += lost;
    this.log(() => `nemesis: crash ${node.id} (lost ${lost} unsynced writes)${downMs === undefined ? '' : `, back in ${downMs} ms`}`);
    if (downMs === undefined) return;
    const inc = node.incarnation;
    this.clock.after(downMs, 'restart', () => {
      if (node.state === 'down' && node.incarnation === inc) this.restart(node);
    });
  }

  private restart(node: SimNode<ClientOp>): void {
    this.log(() => `${node.id} restarts`);
    this.startNode(node);
  }

  // ---- the run --------------------------------------------------------------------

  private bootstrap(): void {
    const ids: NodeId[] = [];
    for (let i = 0; i < this.cfg.nodes; i++) ids.push(`n${i + 1}`);
    const conf: ConfState = { voters: ids.slice().sort(), learners: [] };
    const empty = new KvStateMachine().snapshot();
    const mode = this.cfg.bootstrap ?? 'log';
    for (let i = 0; i < this.cfg.nodes; i++) {
      let s: MemoryStorage;
      if (mode === 'log') {
        s = MemoryStorage.bootstrap(ids);
      } else if (mode === 'snapshot') {
        s = new MemoryStorage();
        s.applySnapshot({ meta: { index: 1, term: 1, conf }, data: empty });
        s.setHardState({ term: 1, vote: '', commit: 1 });
      } else {
        s = new MemoryStorage();
        s.setConf(conf);
      }
      this.makeNode(s);
    }
    for (const n of this.nodes) this.startNode(n);
    this.membership = new Membership(
      {
        clock: this.clock,
        params: this.params,
        stats: this.stats,
        foundingVoters: this.cfg.nodes,
        active: () => this.phase === 'active',
        leader: () => this.leader(),
        node: (id) => this.byId.get(id),
        addNode: () => {
          const n = this.makeNode();
          this.startNode(n);
          return n;
        },
        log: (line) => this.log(line),
      },
      this.faultRng,
      mode === 'log' ? this.cfg.nodes : 0,
    );
    if (this.scenario === 'figure8') this.startPrelude();
    else this.startActive();
  }

  private startActive(): void {
    this.phase = 'active';
    this.workload.start();
    this.nemesis.start();
    this.membership!.start();
  }

  private startPrelude(): void {
    this.phase = 'prelude';
    // A quiet network: the script, not chance, decides who hears what.
    this.net.profile = { ...CALM, maxDelay: this.params.net.maxDelay };
    const stage: Stage<SimNode<ClientOp>> = {
      nodes: () => this.nodes,
      leader: () => this.leader(),
      crash: (n) => {
        if (n.state === 'up') this.crash(n, undefined);
      },
      restart: (n) => {
        if (n.state === 'down') this.restart(n);
      },
      cut: (from, to) => this.net.cutLink(from, to),
      healAll: () => this.net.healAll(),
      proposeMarked: (n) => this.workload.proposeMarked(n),
      later: (ms, fn) => this.clock.after(ms, 'prelude', fn),
      now: () => this.clock.now,
      log: (line) => this.log(line),
    };
    const director = new Figure8(stage, this.faultRng.fork());
    this.director = director;
    const poll = (): void => {
      if (this.phase !== 'prelude') return;
      if (director.poll()) {
        this.director = undefined;
        this.net.healAll();
        this.net.profile = { ...this.params.net };
        for (const n of this.nodes) if (n.state === 'down') this.restart(n);
        this.startActive();
        return;
      }
      this.clock.after(5, 'prelude', poll);
    };
    this.clock.after(5, 'prelude', poll);
  }

  /** Ends the faults: heal every link, calm the network, restart and unpause everyone. */
  private heal(): void {
    this.phase = 'healing';
    this.director = undefined;
    this.healedAt = this.clock.now;
    this.net.healAll();
    this.net.profile = { ...CALM };
    for (const n of this.nodes) {
      n.pausedUntil = 0;
      if (n.state === 'down') this.restart(n);
    }
    this.log(() => 'heal: faults over; waiting for the cluster to converge');
  }

  /** True when a leader leads every live member and all of them applied the whole committed log. */
  private converged(): boolean {
    if (this.workload.pending > 0) return false;
    const l = this.leader();
    if (!l) return false;
    const live = l.disk.live;
    if (l.commit !== live.lastIndex() || l.applied !== l.commit) return false;
    // The leader must have committed an entry of its own term.
    if (live.term(live.lastIndex()) !== l.term) return false;
    for (const id of [...l.conf.voters, ...l.conf.learners]) {
      const n = this.byId.get(id);
      if (!n || n.state !== 'up' || n.lead !== l.id || n.applied !== l.commit) return false;
    }
    return true;
  }

  private finalChecks(): void {
    const l = this.leader()!;
    const digest = l.sm.digest();
    for (const id of [...l.conf.voters, ...l.conf.learners]) {
      const n = this.byId.get(id)!;
      if (n.sm.digest() !== digest) {
        throw new SimFailure('replicas-differ', `${n.id} and ${l.id} both applied ${l.commit} but hold different state`);
      }
    }
    const refused = this.workload.refusedButApplied();
    if (refused.length > 0) {
      const o = refused[0]!;
      throw new SimFailure('refused-proposal-applied', `op #${o.id} was refused by ${o.node} but applied`);
    }
    const r = checkKvHistory(this.workload.checkerHistory(), { maxSteps: 20_000_000 });
    this.stats.checkerSteps = r.steps;
    if (!r.ok) throw new SimFailure('not-linearizable', r.detail ?? 'history not linearizable');
    if (r.unknownKey !== undefined) throw new SimFailure('checker-gave-up', r.detail ?? 'checker budget exhausted');
  }

  run(): SimResult {
    const started = performance.now();
    let failure: SimResult['failure'];
    try {
      this.bootstrap();
      for (;;) {
        if ((this.phase === 'active' || this.phase === 'prelude') && this.stats.events >= this.cfg.steps) this.heal();
        if (this.phase === 'healing') {
          if (this.converged()) break;
          if (this.clock.now - this.healedAt > CONVERGE_DEADLINE_MS) {
            const l = this.leader();
            const state = this.nodes
              .filter((n) => n.state !== 'gone')
              .map((n) => `${n.id}:${n.state}/${n.role}/t${n.term}/c${n.commit}/a${n.applied}/last${n.disk.live.lastIndex()}`)
              .join(' ');
            throw new SimFailure(
              'no-convergence',
              `${CONVERGE_DEADLINE_MS} ms after healing the cluster has not converged (leader ${l?.id ?? 'none'}, members ${JSON.stringify(this.members())}); ${state}`,
            );
          }
        }
        const ev = this.clock.next();
        if (!ev) throw new SimFailure('stalled', 'no events left to run');
        this.stats.events++;
        this.trace.num(ev.time);
        this.trace.str(ev.label);
        ev.run();
      }
      this.phase = 'done';
      this.finalChecks();
    } catch (e) {
      const atMs = this.clock.now;
      const event = this.stats.events;
      if (e instanceof SimFailure) failure = { kind: e.kind, message: e.message, atMs, event };
      else failure = { kind: 'exception', message: e instanceof Error ? (e.stack ?? e.message) : String(e), atMs, event };
    }
    this.stats.virtualMs = this.clock.now;
    this.stats.leaderTerms = this.inv.leaderTerms;
    this.stats.maxCommitted = this.inv.maxCommitted;
    this.stats.messagesSent = this.net.sent;
    this.stats.messagesDropped = this.net.dropped;
    this.stats.messagesDuplicated = this.net.duplicated;
    const result: SimResult = {
      seed: this.cfg.seed,
      nodes: this.cfg.nodes,
      ok: failure === undefined,
      traceHash: this.trace.hex(),
      stats: this.stats,
      wallMs: performance.now() - started,
    };
    if (failure) result.failure = failure;
    return result;
  }
}

export function runSeed(cfg: SimConfig): SimResult {
  return new Cluster(cfg).run();
}
