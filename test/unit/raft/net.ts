// A tiny deterministic network of RawNodes for the core's unit tests. Each node's
// Ready is handled the way the driver will: persist to its MemoryStorage, collect
// messages, apply committed entries to a list-of-strings state machine, advance.
// Messages go into a FIFO queue; tests drop, hold or inspect them with filters.

import { RawNode } from '../../../manager/raft/core/rawnode.js';
import { MemoryStorage } from '../../../manager/raft/core/memory_storage.js';
import { DEFAULTS } from '../../../manager/raft/core/config.js';
import type { CoreConfig } from '../../../manager/raft/core/config.js';
import { decodeConfChange } from '../../../manager/raft/core/confchange.js';
import { EntryType, MessageType, Role } from '../../../manager/raft/core/types.js';
import type { ConfState, Entry, Message, NodeId, ReadState, Ready } from '../../../manager/raft/core/types.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

export function bytes(s: string): Uint8Array {
  return enc.encode(s);
}

export function str(b: Uint8Array): string {
  return dec.decode(b);
}

/** Seeded LCG in [0, 1): the core's only randomness. */
export function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 0x100000000;
  };
}

export type Knobs = Partial<Omit<CoreConfig, 'id' | 'storage' | 'applied'>>;

export interface Peer {
  id: NodeId;
  node: RawNode;
  storage: MemoryStorage;
  /** The state machine: data of applied normal entries, in order. */
  sm: string[];
  applied: number;
  readStates: ReadState[];
  readies: Ready[];
  snapshotsInstalled: number;
}

export type Filter = (m: Message) => boolean;

export function cfgFor(id: NodeId, storage: MemoryStorage, knobs: Knobs, seed: number, applied = 0): CoreConfig {
  return {
    id,
    storage,
    applied,
    electionTick: 10,
    heartbeatTick: 1,
    preVote: DEFAULTS.preVote,
    checkQuorum: DEFAULTS.checkQuorum,
    maxSizePerMsg: DEFAULTS.maxSizePerMsg,
    maxInflightMsgs: DEFAULTS.maxInflightMsgs,
    maxInflightBytes: DEFAULTS.maxInflightBytes,
    maxUncommittedEntriesSize: DEFAULTS.maxUncommittedEntriesSize,
    snapshotChunkSize: DEFAULTS.snapshotChunkSize,
    maxInflightSnapChunks: DEFAULTS.maxInflightSnapChunks,
    rand: seeded(seed),
    ...knobs,
  };
}

export function storageWith(conf: ConfState, ents: Array<[number, number]> = [], hs?: { term: number; commit: number; vote?: string }): MemoryStorage {
  const s = new MemoryStorage();
  s.setConf(conf);
  const entries: Entry[] = ents.map(([index, term]) => ({ index, term, type: EntryType.Normal, data: bytes(`e${index}@${term}`) }));
  s.append(entries);
  if (hs) s.setHardState({ term: hs.term, vote: hs.vote ?? '', commit: hs.commit });
  return s;
}

export class Net {
  peers = new Map<NodeId, Peer>();
  queue: Message[] = [];
  /** Every message that was delivered, in order. */
  delivered: Message[] = [];
  /** Called for every committed entry a node applies, in order. */
  onApply: (id: NodeId, e: Entry) => void = () => {};
  /** Messages for which this returns true are dropped. */
  drop: Filter = () => false;
  private cut = new Set<NodeId>();

  constructor(
    ids: NodeId[],
    readonly knobs: Knobs = {},
    storages: Record<NodeId, MemoryStorage> = {},
  ) {
    ids.forEach((id, i) => {
      const st = storages[id] ?? MemoryStorage.bootstrap(ids);
      this.addPeer(id, st, i + 1);
    });
  }

  addPeer(id: NodeId, storage: MemoryStorage, seed: number, knobs: Knobs = {}, applied = 0): Peer {
    const node = new RawNode(cfgFor(id, storage, { ...this.knobs, ...knobs }, seed, applied));
    const p: Peer = { id, node, storage, sm: [], applied, readStates: [], readies: [], snapshotsInstalled: 0 };
    this.peers.set(id, p);
    return p;
  }

  /** Simulates a crash and restart from what was persisted (state machine rebuilt from the snapshot only). */
  restart(id: NodeId, seed: number): Peer {
    const old = this.peer(id);
    const st = old.storage.clone();
    const snap = st.snapshot();
    const p = this.addPeer(id, st, seed, {}, snap.meta.index);
    p.sm = snap.data.length > 0 ? (JSON.parse(str(snap.data)) as string[]) : [];
    this.queue = this.queue.filter((m) => m.to !== id);
    return p;
  }

  peer(id: NodeId): Peer {
    const p = this.peers.get(id);
    if (!p) throw new Error(`no peer ${id}`);
    return p;
  }

  node(id: NodeId): RawNode {
    return this.peer(id).node;
  }

  isolate(id: NodeId): void {
    this.cut.add(id);
  }

  heal(): void {
    this.cut.clear();
  }

  /** Runs one node's Ready cycle; returns the Ready (messages are queued). */
  handleReady(id: NodeId): Ready | undefined {
    const p = this.peer(id);
    if (!p.node.hasReady()) return undefined;
    const rd = p.node.ready();
    p.readies.push(rd);
    if (rd.snapshot) p.storage.applySnapshot(rd.snapshot);
    p.storage.append(rd.entries);
    if (rd.hardState) p.storage.setHardState(rd.hardState);
    this.queue.push(...rd.messages);
    if (rd.snapshot) {
      p.sm = rd.snapshot.data.length > 0 ? (JSON.parse(str(rd.snapshot.data)) as string[]) : [];
      p.applied = rd.snapshot.meta.index;
      p.snapshotsInstalled++;
    }
    for (const e of rd.committedEntries) {
      this.onApply(id, e);
      if (e.type === EntryType.ConfChange) {
        const conf = p.node.applyConfChange(decodeConfChange(e.data));
        p.storage.setConf(conf);
      } else if (e.data.length > 0) {
        p.sm.push(str(e.data));
      }
      p.applied = e.index;
    }
    p.readStates.push(...rd.readStates);
    p.node.advance(rd);
    return rd;
  }

  /** Handles every node's Ready once. */
  handleAll(): boolean {
    let any = false;
    for (const id of this.peers.keys()) if (this.handleReady(id)) any = true;
    return any;
  }

  deliverable(m: Message): boolean {
    if (!this.peers.has(m.to)) return false;
    if (this.cut.has(m.from) || this.cut.has(m.to)) return false;
    return !this.drop(m);
  }

  /** Delivers the messages queued now (not the ones they cause). */
  deliverQueued(): number {
    const q = this.queue;
    this.queue = [];
    let n = 0;
    for (const m of q) {
      if (!this.deliverable(m)) continue;
      this.delivered.push(m);
      this.peer(m.to).node.step(m);
      n++;
    }
    return n;
  }

  /** Runs Ready cycles and delivery until nothing moves. */
  stabilize(maxRounds = 1000): void {
    for (let i = 0; i < maxRounds; i++) {
      const a = this.handleAll();
      const b = this.queue.length > 0 ? this.deliverQueued() : 0;
      if (!a && b === 0 && this.queue.length === 0) return;
    }
    throw new Error('network did not stabilize');
  }

  /** Ticks the given nodes (all by default) `n` times, stabilizing after each tick. */
  tick(n: number, ids: NodeId[] = [...this.peers.keys()]): void {
    for (let i = 0; i < n; i++) {
      for (const id of ids) this.node(id).tick();
      this.stabilize();
    }
  }

  /** Starts an election on `id` and lets it finish. */
  elect(id: NodeId): void {
    // A node does not campaign with committed conf changes (the bootstrap ones) unapplied.
    this.stabilize();
    this.node(id).campaign();
    this.stabilize();
  }

  leaders(): NodeId[] {
    return [...this.peers.values()].filter((p) => p.node.status().softState.role === Role.Leader).map((p) => p.id);
  }

  /** Applies `snapshot + compact` on the node's storage at its applied index. */
  snapshotAndCompact(id: NodeId): number {
    const p = this.peer(id);
    const conf = p.node.status().conf;
    p.storage.createSnapshot(p.applied, conf, bytes(JSON.stringify(p.sm)));
    p.storage.compact(p.applied);
    return p.applied;
  }

  /** Terms of the stored log from firstIndex to lastIndex. */
  logTerms(id: NodeId): number[] {
    const st = this.peer(id).storage;
    const out: number[] = [];
    for (let i = st.firstIndex(); i <= st.lastIndex(); i++) out.push(st.term(i));
    return out;
  }

  sent(type: MessageType, from?: NodeId, to?: NodeId): Message[] {
    return this.delivered.filter((m) => m.type === type && (from === undefined || m.from === from) && (to === undefined || m.to === to));
  }
}
