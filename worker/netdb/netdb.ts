// Network-scoped replicated tables on top of gossip, in the manner of libnetwork's
// networkdb. Pure: no clocks, timers or sockets. Time (`now`, ms) is passed in and the
// caller broadcasts the events that local operations return.
//
// Conflict rule: every version of an entry is ranked by (ltime, owner, incarnation,
// deleted, value), a total order, and a replica keeps the highest version it has seen.
// Keeping a maximum is order-independent, so replicas that saw the same events in any
// order, with duplicates, hold the same entries. A tombstone of the same write ranks above
// the write itself, so a re-delivered create never undoes a delete.
//
// Incarnation: a number a node picks anew each time its daemon starts (its start time in
// ms works), not memberlist's refutation counter. Events from a life of a node older than
// the newest known one are ignored, and that older life's entries become tombstones.
import { TsswarmError } from '../../shared/errors.js';
import { checkEvent } from './codec.js';
import { REAP_INTERVAL_MS } from './defaults.js';
import type { ChangeHandler, NetDbState, TableEvent, TableName, TableValue, TableValues } from './types.js';

export interface NetDbOptions {
  nodeId: string;
  incarnation: number;
  reapIntervalMs?: number;
}

interface Stored {
  event: TableEvent;
  /** When a tombstone may be dropped; undefined for live entries. */
  reapAt: number | undefined;
}

function slot(table: TableName, network: string, key: string): string {
  return `${table}\u0000${network}\u0000${key}`;
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Total order on versions of one entry; > 0 means `a` wins over `b`. */
export function compareVersions(a: TableEvent, b: TableEvent): number {
  if (a.ltime !== b.ltime) return a.ltime - b.ltime;
  const o = cmpStr(a.owner, b.owner);
  if (o !== 0) return o;
  if (a.incarnation !== b.incarnation) return a.incarnation - b.incarnation;
  if (a.deleted !== b.deleted) return a.deleted ? 1 : -1;
  // Same writer and time but different content only arises from a buggy peer; still pick
  // one deterministically so replicas agree.
  return cmpStr(JSON.stringify(a.value), JSON.stringify(b.value));
}

function copyEvent(e: TableEvent): TableEvent {
  return checkEvent(JSON.parse(JSON.stringify(e)) as unknown);
}

function liveValue(e: TableEvent | undefined): TableValue | undefined {
  return e === undefined || e.deleted || e.value === null ? undefined : e.value;
}

export class NetDb {
  readonly nodeId: string;
  readonly incarnation: number;
  private readonly reapIntervalMs: number;
  private lamport = 0;
  private readonly store = new Map<string, Stored>();
  private readonly joined = new Set<string>();
  /** Per owner: events with a lower incarnation are stale (older life, or a node that left). */
  private readonly minIncarnation = new Map<string, number>();
  private readonly handlers = new Set<ChangeHandler>();

  constructor(opts: NetDbOptions) {
    if (!Number.isSafeInteger(opts.incarnation) || opts.incarnation < 0) {
      throw new TsswarmError('Invalid', `networkdb incarnation ${opts.incarnation} must be a non-negative integer`);
    }
    this.nodeId = opts.nodeId;
    this.incarnation = opts.incarnation;
    this.reapIntervalMs = opts.reapIntervalMs ?? REAP_INTERVAL_MS;
    this.minIncarnation.set(opts.nodeId, opts.incarnation);
  }

  /** The Lamport clock: the highest time this node has issued or witnessed. */
  get clock(): number {
    return this.lamport;
  }

  /** Register a watcher; it runs after the state has changed. Returns an unsubscribe. */
  onChange(handler: ChangeHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  // ---- network participation ----

  /**
   * Start carrying a network's tables. Returns true if newly joined: the caller then asks
   * a peer on that network for a full sync (exportState([network])) and imports it.
   */
  joinNetwork(network: string): boolean {
    if (this.joined.has(network)) return false;
    this.joined.add(network);
    return true;
  }

  /**
   * Stop carrying a network: its entries are dropped (watchers see them go). Entries this
   * node owns there become tombstones first; the returned events are for the caller to
   * broadcast so the other nodes remove them too.
   */
  leaveNetwork(network: string): TableEvent[] {
    if (!this.joined.has(network)) return [];
    const out: TableEvent[] = [];
    for (const [k, s] of [...this.store]) {
      if (s.event.network !== network) continue;
      if (s.event.owner === this.nodeId && !s.event.deleted) {
        out.push({ ...s.event, ltime: ++this.lamport, incarnation: this.incarnation, deleted: true, value: null } as TableEvent);
      }
      this.store.delete(k);
      this.emit(s.event, undefined);
    }
    this.joined.delete(network);
    return out;
  }

  networks(): string[] {
    return [...this.joined].sort();
  }

  isMember(network: string): boolean {
    return this.joined.has(network);
  }

  // ---- local operations ----

  /** Add an entry this node owns. Throws Conflict if a live entry already has this key. */
  create<T extends TableName>(table: T, network: string, key: string, value: TableValues[T], now: number): TableEvent {
    this.mustBeMember(network);
    if (this.get(table, network, key) !== undefined) {
      throw new TsswarmError('Conflict', `networkdb ${table} entry ${key} already exists on network ${network}; update it instead`);
    }
    return this.writeLocal(table, network, key, value, now);
  }

  /** Replace an entry's value; this node becomes its owner. Throws NotFound if absent. */
  update<T extends TableName>(table: T, network: string, key: string, value: TableValues[T], now: number): TableEvent {
    this.mustBeMember(network);
    if (this.get(table, network, key) === undefined) {
      throw new TsswarmError('NotFound', `networkdb ${table} entry ${key} does not exist on network ${network}; create it first`);
    }
    return this.writeLocal(table, network, key, value, now);
  }

  /** Delete an entry (it becomes a tombstone until reaped). Throws NotFound if absent. */
  delete(table: TableName, network: string, key: string, now: number): TableEvent {
    this.mustBeMember(network);
    if (this.get(table, network, key) === undefined) {
      throw new TsswarmError('NotFound', `networkdb ${table} entry ${key} does not exist on network ${network}`);
    }
    return this.writeLocal(table, network, key, null, now);
  }

  /**
   * Re-issue every live entry this node owns with fresh Lamport times, for when this node
   * was wrongly declared failed (a partition) and others tombstoned its entries.
   */
  republish(now: number): TableEvent[] {
    const mine = [...this.store.values()].map((s) => s.event).filter((e) => e.owner === this.nodeId && !e.deleted);
    return mine.map((e) => this.writeLocal(e.table, e.network, e.key, e.value, now));
  }

  // ---- remote input ----

  /** Apply an event from a peer. Returns true if the state changed. */
  apply(input: TableEvent, now: number): boolean {
    const ev = copyEvent(input);
    this.lamport = Math.max(this.lamport, ev.ltime);
    // Our own entries are authoritative here; echoes of them carry nothing new.
    if (ev.owner === this.nodeId) return false;
    if (!this.joined.has(ev.network)) return false;
    const min = this.minIncarnation.get(ev.owner);
    if (min !== undefined && ev.incarnation < min) return false;
    if (min === undefined || ev.incarnation > min) this.retireOlderLives(ev.owner, ev.incarnation, now);
    const k = slot(ev.table, ev.network, ev.key);
    const cur = this.store.get(k);
    if (cur !== undefined && compareVersions(ev, cur.event) <= 0) return false;
    this.store.set(k, { event: ev, reapAt: ev.deleted ? now + this.reapIntervalMs : undefined });
    this.emit(cur?.event, ev);
    return true;
  }

  /**
   * A node left or failed: its entries become tombstones, and events from that life are
   * ignored. Pass the incarnation gossip knows for it, so events of that life we have not
   * seen yet are recognised as stale too.
   */
  nodeLeft(owner: string, now: number, incarnation?: number): void {
    if (owner === this.nodeId) return;
    let newest = Math.max(this.minIncarnation.get(owner) ?? 0, incarnation ?? 0);
    for (const s of this.store.values()) if (s.event.owner === owner) newest = Math.max(newest, s.event.incarnation);
    this.minIncarnation.set(owner, newest + 1);
    this.tombstoneOwned(owner, newest + 1, now);
  }

  /**
   * A node is back. A new incarnation accepts its new events; anything from before it
   * stays dead. The same incarnation (a healed partition) is accepted again; that node
   * should then republish() so its entries outrank the tombstones.
   */
  nodeRejoined(owner: string, incarnation: number, now: number): void {
    if (owner === this.nodeId) return;
    const min = this.minIncarnation.get(owner);
    if (min === undefined || incarnation >= min) this.retireOlderLives(owner, incarnation, now);
    else if (incarnation === min - 1) this.minIncarnation.set(owner, incarnation);
  }

  /**
   * Gossip saw `owner` alive again without knowing its incarnation here (a healed
   * partition): accept its last known life again. A node that really restarted comes with
   * a newer incarnation, whose first event retires the older life anyway.
   */
  nodeBack(owner: string, now: number): void {
    const min = this.minIncarnation.get(owner);
    if (min !== undefined && min > 0) this.nodeRejoined(owner, min - 1, now);
  }

  // ---- push-pull ----

  /** Everything carried (tombstones included) for the given networks, or for all. */
  exportState(networks?: readonly string[]): NetDbState {
    const want = networks === undefined ? undefined : new Set(networks);
    const entries: TableEvent[] = [];
    for (const s of this.store.values()) {
      if (want === undefined || want.has(s.event.network)) entries.push(copyEvent(s.event));
    }
    entries.sort((a, b) => cmpStr(slot(a.table, a.network, a.key), slot(b.table, b.network, b.key)));
    return { clock: this.lamport, entries };
  }

  /** Merge a peer's state; returns how many entries changed. */
  importState(state: NetDbState, now: number): number {
    this.lamport = Math.max(this.lamport, state.clock);
    let changed = 0;
    for (const e of state.entries) if (this.apply(e, now)) changed++;
    return changed;
  }

  /** Drop tombstones whose time is up; returns how many were dropped. */
  reap(now: number): number {
    let n = 0;
    for (const [k, s] of [...this.store]) {
      if (s.reapAt !== undefined && s.reapAt <= now) {
        this.store.delete(k);
        n++;
      }
    }
    return n;
  }

  // ---- reads ----

  get<T extends TableName>(table: T, network: string, key: string): TableValues[T] | undefined {
    return liveValue(this.store.get(slot(table, network, key))?.event) as TableValues[T] | undefined;
  }

  /** The stored version, tombstone included. */
  entry(table: TableName, network: string, key: string): TableEvent | undefined {
    const s = this.store.get(slot(table, network, key));
    return s === undefined ? undefined : copyEvent(s.event);
  }

  /** Live entries, optionally of one table and/or network, in a stable order. */
  entries(table?: TableName, network?: string): TableEvent[] {
    return this.exportState(network === undefined ? undefined : [network]).entries
      .filter((e) => !e.deleted && (table === undefined || e.table === table));
  }

  // ---- internals ----

  private mustBeMember(network: string): void {
    if (!this.joined.has(network)) {
      throw new TsswarmError('Invalid', `this node has not joined network ${network}; call joinNetwork first`);
    }
  }

  private writeLocal(table: TableName, network: string, key: string, value: TableValue | null, now: number): TableEvent {
    const ev = checkEvent({
      table, network, key, owner: this.nodeId, incarnation: this.incarnation,
      ltime: this.lamport + 1, deleted: value === null, value,
    });
    this.lamport = ev.ltime;
    const k = slot(table, network, key);
    const cur = this.store.get(k);
    this.store.set(k, { event: ev, reapAt: ev.deleted ? now + this.reapIntervalMs : undefined });
    this.emit(cur?.event, ev);
    return copyEvent(ev);
  }

  /** A newer life of `owner` exists: its older entries are dead. */
  private retireOlderLives(owner: string, incarnation: number, now: number): void {
    this.minIncarnation.set(owner, incarnation);
    this.tombstoneOwned(owner, incarnation, now);
  }

  /** Tombstone live entries of `owner` whose incarnation is below `below`. */
  private tombstoneOwned(owner: string, below: number, now: number): void {
    for (const s of this.store.values()) {
      const e = s.event;
      if (e.owner !== owner || e.deleted || e.incarnation >= below) continue;
      const dead = { ...e, deleted: true, value: null } as TableEvent;
      s.event = dead;
      s.reapAt = now + this.reapIntervalMs;
      this.emit(e, dead);
    }
  }

  private emit(before: TableEvent | undefined, after: TableEvent | undefined): void {
    const oldV = liveValue(before);
    const newV = liveValue(after);
    if (oldV === undefined && newV === undefined) return;
    if (oldV !== undefined && newV !== undefined && JSON.stringify(oldV) === JSON.stringify(newV)) return;
    const e = (after ?? before) as TableEvent;
    for (const h of [...this.handlers]) h(e.table, e.network, e.key, oldV, newV);
  }
}
