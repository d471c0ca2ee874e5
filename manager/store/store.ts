// The store as the manager's code uses it: writes go through Raft (propose, then wait for
// the local state machine to apply), reads come from the local state machine, optionally
// after a read barrier for linearizability. Ids, request ids and times are chosen here, on
// the proposing side, so apply stays deterministic.

import {
  encodeCommand, MAX_COMMAND_BYTES,
  type Command, type CreateOp, type DeleteOp, type Op, type UpdateOp,
} from './commands.js';
import { newId } from './ids.js';
import type { Collection, Contents, NamedCollection, StoredObject } from './objects.js';
import {
  fail, isMarker,
  type ApplyResult, type ChangeEvent, type CommandResult, type Failure, type OpResult, type TxnResult,
} from './results.js';
import type { StateMachine } from './state-machine.js';
import { contentOf } from './tables.js';
import type { Watch, WatchOptions } from './watch-hub.js';

/** What the store needs from the Raft driver. */
export interface RaftProposer {
  /**
   * Proposes `data` and resolves with the local state machine's result once the entry has
   * been applied here. Rejects if the proposal cannot be made or its fate is unknown
   * (not leader, leadership lost); the caller may retry the same operation.
   */
  propose(data: Uint8Array, requestId: string): Promise<ApplyResult>;
  /** Linearizable read: resolves once the local state machine has applied the leader's commit index at request time. */
  readBarrier(): Promise<void>;
}

export interface StoreOptions {
  /** Milliseconds since the epoch; the source of createdAt/updatedAt. Default Date.now. */
  now?: () => number;
  /** Default: 128 random bits as 25 characters of base 36 (ids.ts). */
  newId?: () => string;
}

export interface ReadOptions {
  /** Wait for a read barrier first, so the read reflects every write committed before it started. */
  linearizable?: boolean;
}

/**
 * Computes an object's next content from a private, mutable copy of the current one:
 * change `draft` in place, or return a new content.
 */
export type Mutator<C extends Collection> = (draft: Contents[C], current: StoredObject<C>) => Contents[C] | void;

/** Either a mutator or top-level fields to replace (e.g. `{ spec }`), the others kept. */
export type UpdateChange<C extends Collection> = Partial<Contents[C]> | Mutator<C>;

export type TxnRequest = {
  [C in Collection]:
    | { op: 'create'; collection: C; content: Contents[C]; id?: string }
    | { op: 'update'; collection: C; id: string; expectVersion: number; change: UpdateChange<C> }
    | { op: 'delete'; collection: C; id: string; expectVersion?: number };
}[Collection];

/** A listing and the index it reflects: watch(listing.index, …) continues from it without a gap. */
export interface Listing<C extends Collection> {
  index: number;
  objects: StoredObject<C>[];
}

export interface StoreWatchOptions extends WatchOptions {
  /** Only changes to these collections (default: all). */
  collections?: readonly Collection[];
}

type Resolved<C extends Collection> = { ok: true; content: Contents[C] } | Failure;

export class Store {
  private readonly now: () => number;
  private readonly makeId: () => string;

  constructor(
    private readonly sm: StateMachine,
    private readonly raft: RaftProposer,
    opts: StoreOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.makeId = opts.newId ?? newId;
  }

  /** Creates an object with a fresh id (or `opts.id`). Fails with NameExists, Invalid, TooLarge. */
  async create<C extends Collection>(collection: C, content: Contents[C], opts: { id?: string } = {}): Promise<OpResult<C>> {
    const op = { op: 'create', collection, id: opts.id ?? this.makeId(), content } as CreateOp;
    return (await this.propose({ op })) as OpResult<C>;
  }

  /**
   * Replaces the object's content if its version is still `expectVersion`, else Conflict.
   * The change is computed here against the local copy, which must be at that version.
   */
  async update<C extends Collection>(collection: C, id: string, expectVersion: number, change: UpdateChange<C>): Promise<OpResult<C>> {
    const next = await this.resolve(collection, id, expectVersion, change, undefined);
    if (!next.ok) return next;
    const op = { op: 'update', collection, id, expectVersion, content: next.content } as UpdateOp;
    return (await this.propose({ op })) as OpResult<C>;
  }

  /** Read, mutate, update; on Conflict read again (linearizably) and retry, up to `attempts` times. */
  async modify<C extends Collection>(collection: C, id: string, mutate: Mutator<C>, opts: { attempts?: number } = {}): Promise<OpResult<C>> {
    const attempts = opts.attempts ?? 5;
    let last: OpResult<C> = fail('Conflict', `${collection} ${id}: no attempt made`);
    for (let i = 0; i < attempts; i++) {
      const cur = await this.get(collection, id, { linearizable: i > 0 });
      if (!cur) return fail('NotFound', `${collection}: no object with id ${id}`);
      last = await this.update(collection, id, cur.version, mutate);
      if (last.ok || last.error.code !== 'Conflict') return last;
    }
    return last;
  }

  /** Deletes the object; with `expectVersion`, only if it is still at that version. */
  async delete<C extends Collection>(collection: C, id: string, expectVersion?: number): Promise<OpResult<C>> {
    const op = (expectVersion === undefined ? { op: 'delete', collection, id } : { op: 'delete', collection, id, expectVersion }) as DeleteOp;
    return (await this.propose({ op })) as OpResult<C>;
  }

  /** All ops or none. Later ops see earlier ones (create then update in one go works). */
  async transact(requests: readonly TxnRequest[]): Promise<TxnResult> {
    if (requests.length === 0) return { ok: true, index: this.sm.applied(), changes: [] };
    const ops: Op[] = [];
    for (let i = 0; i < requests.length; i++) {
      const r = requests[i];
      if (r.op === 'create') {
        ops.push({ op: 'create', collection: r.collection, id: r.id ?? this.makeId(), content: r.content } as CreateOp);
      } else if (r.op === 'update') {
        const next = await this.resolve(r.collection, r.id, r.expectVersion, r.change as UpdateChange<Collection>, i);
        if (!next.ok) return next;
        ops.push({ op: 'update', collection: r.collection, id: r.id, expectVersion: r.expectVersion, content: next.content } as UpdateOp);
      } else {
        ops.push(r);
      }
    }
    return (await this.propose({ txn: ops })) as TxnResult;
  }

  async get<C extends Collection>(collection: C, id: string, opts: ReadOptions = {}): Promise<StoredObject<C> | undefined> {
    if (opts.linearizable) await this.raft.readBarrier();
    return this.sm.get(collection, id);
  }

  async getByName<C extends NamedCollection>(collection: C, name: string, opts: ReadOptions = {}): Promise<StoredObject<C> | undefined> {
    if (opts.linearizable) await this.raft.readBarrier();
    return this.sm.getByName(collection, name);
  }

  async list<C extends Collection>(collection: C, filter?: (o: StoredObject<C>) => boolean, opts: ReadOptions = {}): Promise<Listing<C>> {
    if (opts.linearizable) await this.raft.readBarrier();
    // Both read in the same synchronous step, so nothing can be applied in between.
    return { index: this.sm.applied(), objects: this.sm.list(collection, filter) };
  }

  /** See StateMachine.watch; throws CompactedError if fromIndex is too old. */
  watch(fromIndex: number, cb: (ev: ChangeEvent) => void, opts: StoreWatchOptions = {}): Watch {
    const only = opts.collections ? new Set<Collection>(opts.collections) : undefined;
    const deliver = only ? (ev: ChangeEvent) => { if (only.has(ev.collection)) cb(ev); } : cb;
    return this.sm.watch(fromIndex, deliver, { onClose: opts.onClose });
  }

  /** Index of the last entry applied locally. */
  applied(): number {
    return this.sm.applied();
  }

  private async resolve<C extends Collection>(
    collection: C, id: string, expectVersion: number, change: UpdateChange<C>, pos: number | undefined,
  ): Promise<Resolved<C>> {
    let cur = this.sm.get(collection, id);
    if (!cur || cur.version < expectVersion) {
      // The caller may have read from a manager further ahead; catch up before judging.
      await this.raft.readBarrier();
      cur = this.sm.get(collection, id);
    }
    if (!cur) return fail('NotFound', `${collection}: no object with id ${id}`, pos);
    if (cur.version !== expectVersion) {
      return fail('Conflict', `${collection} ${id}: expected version ${expectVersion}, current is ${cur.version}`, pos);
    }
    if (typeof change === 'function') {
      const draft = structuredClone(contentOf(cur));
      return { ok: true, content: change(draft, cur) ?? draft };
    }
    return { ok: true, content: { ...contentOf(cur), ...change } };
  }

  private async propose(body: { op: Op } | { txn: Op[] }): Promise<CommandResult> {
    const requestId = this.makeId();
    const cmd = { requestId, time: Math.trunc(this.now()), ...body } as Command;
    const data = encodeCommand(cmd);
    if (data.length > MAX_COMMAND_BYTES) return fail('TooLarge', `command of ${data.length} bytes exceeds ${MAX_COMMAND_BYTES}`);
    const r = await this.raft.propose(data, requestId);
    if (!isMarker(r)) return r;
    // Applied before the driver could hand the result over (e.g. replayed): it is on file.
    const filed = this.sm.resultFor(requestId);
    if (filed) return filed;
    throw new Error(`store: request ${requestId} came back ${r.marker} and no result is on file`);
  }
}
