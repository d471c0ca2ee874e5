// The replicated state machine that managers apply committed Raft entries to. Pure and
// deterministic: no clock, no randomness, no I/O. Everything that varies (ids, times, the
// request id) arrives inside the command, so every manager that applies the same entries in
// the same order holds the same state and produces the same snapshot bytes.

import { decodeBody, decodeHeader, MAX_COMMAND_BYTES, type DecodedHeader } from './commands.js';
import { nameKey } from './names.js';
import type { Collection, NamedCollection, StoredObject } from './objects.js';
import { RequestLog } from './request-log.js';
import { fail, NOOP, STALE, type ApplyResult, type ChangeEvent, type CommandResult } from './results.js';
import { SchemaFailure } from './schema.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot.js';
import { emptyTables, Plan, type Tables } from './tables.js';
import { WatchHub, type Watch, type WatchOptions } from './watch-hub.js';

export interface StateMachineOptions {
  /** Changes kept in memory for watchers that start behind (default 10,000). */
  historyLimit?: number;
  /** Request ids whose results are kept, newest by index (default 10,000). Part of the replicated state. */
  requestLogLimit?: number;
}

export const DEFAULT_HISTORY_LIMIT = 10_000;
export const DEFAULT_REQUEST_LOG_LIMIT = 10_000;

export class StateMachine {
  private tables: Tables = emptyTables();
  private appliedIndex = 0;
  private readonly hub: WatchHub;
  private requests: RequestLog;
  private applying = false;
  private readonly plan = new Plan();
  private isoSecond = -1;
  private isoPrefix = '';

  constructor(private readonly opts: StateMachineOptions = {}) {
    this.hub = new WatchHub(opts.historyLimit ?? DEFAULT_HISTORY_LIMIT);
    this.requests = new RequestLog(opts.requestLogLimit ?? DEFAULT_REQUEST_LOG_LIMIT);
  }

  /**
   * Applies the committed entry at `index`. Indices must increase; gaps are allowed (entries
   * that are not commands, e.g. membership changes, never reach here). Empty data is the
   * leader's no-op. Never throws for bad data: a malformed command yields Invalid.
   */
  apply(index: number, data: Uint8Array): ApplyResult {
    if (!Number.isSafeInteger(index) || index < 1) throw new RangeError(`apply: bad index ${index}`);
    if (index <= this.appliedIndex) return STALE;
    // A watch callback that applies would interleave two commands' changes.
    if (this.applying) throw new Error('apply: re-entered from inside a watch callback');
    this.applying = true;
    try {
      this.appliedIndex = index;
      if (data.length === 0) return NOOP;
      return this.run(index, data);
    } finally {
      this.applying = false;
    }
  }

  private run(index: number, data: Uint8Array): CommandResult {
    let head: DecodedHeader;
    try {
      head = decodeHeader(data);
    } catch (e) {
      // Without a request id there is nobody to file the result for.
      return fail('Invalid', e instanceof SchemaFailure ? e.message : 'undecodable command');
    }
    const earlier = this.requests.get(head.requestId);
    if (earlier) return earlier.result;

    const result = this.execute(index, data, head);
    this.requests.record(head.requestId, index, result);
    // After filing the result, so a watcher may already look it up.
    if (result.ok) this.hub.publish(this.plan.events);
    return result;
  }

  private execute(index: number, data: Uint8Array, head: DecodedHeader): CommandResult {
    if (data.length > MAX_COMMAND_BYTES) return fail('TooLarge', `command of ${data.length} bytes exceeds ${MAX_COMMAND_BYTES}`);
    const plan = this.plan;
    let txn: boolean;
    try {
      const body = decodeBody(head);
      txn = body.txn;
      plan.reset(this.tables, index, this.isoTime(head.time));
      for (let i = 0; i < body.ops.length; i++) {
        const failure = plan.stage(body.ops[i], txn ? i : undefined);
        if (failure) return failure;
      }
    } catch (e) {
      if (e instanceof SchemaFailure) return fail(e.code, e.message, e.op);
      // A bug, but the same one on every manager: refuse the command rather than stop them all.
      // Nothing has touched the tables yet, so refusing keeps the state whole.
      return fail('Invalid', `internal error while applying: ${(e as Error)?.message ?? String(e)}`);
    }
    plan.commit();
    const events = plan.events;
    if (txn) return Object.freeze({ ok: true, index, changes: Object.freeze(events) as ChangeEvent[] });
    return Object.freeze({ ok: true as const, ...events[0] });
  }

  /**
   * Date#toISOString is a measurable part of apply; commands in a burst share a second, so
   * format the second once and append the milliseconds (times are validated non-negative).
   */
  private isoTime(ms: number): string {
    const second = ms - (ms % 1000);
    if (second !== this.isoSecond) {
      this.isoSecond = second;
      this.isoPrefix = new Date(second).toISOString().slice(0, -4); // "…T03:04:05."
    }
    const frac = ms - second;
    return this.isoPrefix + (frac < 10 ? '00' : frac < 100 ? '0' : '') + frac + 'Z';
  }

  applied(): number {
    return this.appliedIndex;
  }

  get<C extends Collection>(collection: C, id: string): StoredObject<C> | undefined {
    return this.tables[collection].byId.get(id) as StoredObject<C> | undefined;
  }

  /** Case-insensitive in ASCII, as uniqueness is. */
  getByName<C extends NamedCollection>(collection: C, name: string): StoredObject<C> | undefined {
    const t = this.tables[collection];
    const id = t.byName?.get(nameKey(name));
    return id === undefined ? undefined : (t.byId.get(id) as StoredObject<C> | undefined);
  }

  /** Sorted by id, so every manager lists in the same order. */
  list<C extends Collection>(collection: C, filter?: (o: StoredObject<C>) => boolean): StoredObject<C>[] {
    const out: StoredObject<C>[] = [];
    for (const o of this.tables[collection].byId.values()) {
      const typed = o as StoredObject<C>;
      if (!filter || filter(typed)) out.push(typed);
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  count(collection: Collection): number {
    return this.tables[collection].byId.size;
  }

  /** The result of a recent command, by the request id its proposer chose. */
  resultFor(requestId: string): CommandResult | undefined {
    return this.requests.get(requestId)?.result;
  }

  snapshot(): Uint8Array {
    return encodeSnapshot(this.appliedIndex, this.tables, this.requests.all());
  }

  /**
   * Replaces the whole state. Throws on a malformed snapshot and then keeps the old state.
   * Open watches end with 'Compacted' (they could miss changes the snapshot folded in).
   */
  restore(data: Uint8Array): void {
    if (this.applying) throw new Error('restore: called from inside a watch callback');
    let snap;
    try {
      snap = decodeSnapshot(data);
    } catch (e) {
      throw new Error(`restore: corrupt snapshot: ${(e as Error).message}`, { cause: e });
    }
    const requests = new RequestLog(this.opts.requestLogLimit ?? DEFAULT_REQUEST_LOG_LIMIT);
    for (const r of snap.requests) requests.record(r.requestId, r.index, r.result);
    this.tables = snap.tables;
    this.requests = requests;
    this.appliedIndex = snap.applied;
    this.hub.reset(snap.applied);
  }

  /**
   * Delivers every change with index > fromIndex, in order, exactly once: retained history
   * first (synchronously, before this returns), then live changes as they are applied.
   * Throws CompactedError if fromIndex < oldestWatchable(): re-list, then watch from there.
   * Callbacks run inside apply: keep them short and never call apply or restore from them.
   */
  watch(fromIndex: number, cb: (ev: ChangeEvent) => void, opts?: WatchOptions): Watch {
    return this.hub.watch(fromIndex, cb, opts);
  }

  /** The smallest fromIndex watch() accepts now. */
  oldestWatchable(): number {
    return this.hub.oldestWatchable();
  }
}
