// The in-memory tables and the rules every change must pass. A command's ops are first
// staged in a Plan that reads through to the tables; only if every op passes is the plan
// committed, so a failing op leaves nothing behind (transactions are all or nothing).

import type { Op } from './commands.js';
import { nameKey } from './names.js';
import {
  COLLECTIONS, isNamedCollection,
  type AnyObject, type Collection, type Contents, type StoredObject,
} from './objects.js';
import { fail, type Action, type ChangeEvent, type Failure } from './results.js';

export interface Table {
  byId: Map<string, AnyObject>;
  /** nameKey(name) → id; only for named collections. */
  byName: Map<string, string> | undefined;
}

export type Tables = Record<Collection, Table>;

export function emptyTables(): Tables {
  const t = {} as Tables;
  for (const c of COLLECTIONS) t[c] = { byId: new Map(), byName: isNamedCollection(c) ? new Map() : undefined };
  return t;
}

export function specName(c: Collection, content: Contents[Collection]): string | undefined {
  return isNamedCollection(c) ? (content.spec as { name: string }).name : undefined;
}

/** Meta first, then the content, so every manager builds objects with the same key order. */
export function buildObject<C extends Collection>(
  c: C, id: string, version: number, createdAt: string, updatedAt: string, content: Contents[C],
): StoredObject<C> {
  const name = specName(c, content);
  const o = name === undefined
    ? { id, version, createdAt, updatedAt, ...content }
    : { id, version, createdAt, updatedAt, name, ...content };
  return Object.freeze(o) as StoredObject<C>;
}

export function contentOf<C extends Collection>(o: StoredObject<C>): Contents[C] {
  const { id: _id, version: _v, createdAt: _c, updatedAt: _u, name: _n, ...content } = o;
  return content as unknown as Contents[C];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Rules beyond the schemas that depend on the current object. */
function checkUpdate(c: Collection, cur: AnyObject, next: Contents[Collection]): string | undefined {
  if (c === 'configs') {
    // As Docker: a config's name and data are immutable (tasks mount it by id); labels may change.
    const a = (cur as StoredObject<'configs'>).spec;
    const b = (next as Contents['configs']).spec;
    if (a.name !== b.name || !sameBytes(a.data, b.data)) return 'only the labels of a config can be updated';
  }
  return undefined;
}

interface StagedObject {
  c: Collection;
  id: string;
  /** null: deleted. */
  obj: AnyObject | null;
}

interface StagedName {
  c: Collection;
  key: string;
  /** null: freed. */
  id: string | null;
}

/**
 * Staged changes are short lists searched from the newest end: commands are mostly a single
 * op, and Maps per command cost more to allocate than a transaction's lists cost to scan.
 */
export class Plan {
  // Reused from command to command (reset()), as allocation is a large part of apply's cost.
  private readonly staged: StagedObject[] = [];
  private readonly stagedNames: StagedName[] = [];
  private tables: Tables = emptyTables();
  private index = 0;
  private time = '';
  events: ChangeEvent[] = [];

  /** Starts a new command; whatever was staged before is dropped. */
  reset(tables: Tables, index: number, time: string): void {
    this.tables = tables;
    this.index = index;
    this.time = time;
    this.staged.length = 0;
    this.stagedNames.length = 0;
    this.events = [];
  }

  /** Stages one op; on failure the plan must be dropped (reset). */
  stage(op: Op, pos: number | undefined): Failure | undefined {
    const c = op.collection;
    const cur = this.lookup(c, op.id);
    switch (op.op) {
      case 'create': {
        if (cur) return fail('Conflict', `${c}: an object with id ${op.id} already exists`, pos);
        const name = specName(c, op.content);
        if (name !== undefined) {
          const key = nameKey(name);
          if (this.nameOwner(c, key) !== undefined) return fail('NameExists', `${c}: name ${JSON.stringify(name)} is in use`, pos);
          this.stagedNames.push({ c, key, id: op.id });
        }
        const obj = buildObject(c, op.id, this.index, this.time, this.time, op.content) as AnyObject;
        this.staged.push({ c, id: op.id, obj });
        this.events.push(event(this.index, c, 'create', obj));
        return undefined;
      }
      case 'update': {
        if (!cur) return fail('NotFound', `${c}: no object with id ${op.id}`, pos);
        if (cur.version !== op.expectVersion) {
          return fail('Conflict', `${c} ${op.id}: expected version ${op.expectVersion}, current is ${cur.version}`, pos);
        }
        const rule = checkUpdate(c, cur, op.content);
        if (rule !== undefined) return fail('Invalid', `${c} ${op.id}: ${rule}`, pos);
        const name = specName(c, op.content);
        if (name !== undefined && cur.name !== undefined) {
          const oldKey = nameKey(cur.name);
          const key = nameKey(name);
          if (key !== oldKey) {
            if (this.nameOwner(c, key) !== undefined) return fail('NameExists', `${c}: name ${JSON.stringify(name)} is in use`, pos);
            this.stagedNames.push({ c, key: oldKey, id: null }, { c, key, id: op.id });
          }
        }
        const obj = buildObject(c, op.id, this.index, cur.createdAt, this.time, op.content) as AnyObject;
        this.staged.push({ c, id: op.id, obj });
        this.events.push(event(this.index, c, 'update', obj));
        return undefined;
      }
      case 'delete': {
        if (!cur) return fail('NotFound', `${c}: no object with id ${op.id}`, pos);
        if (op.expectVersion !== undefined && cur.version !== op.expectVersion) {
          return fail('Conflict', `${c} ${op.id}: expected version ${op.expectVersion}, current is ${cur.version}`, pos);
        }
        if (cur.name !== undefined) this.stagedNames.push({ c, key: nameKey(cur.name), id: null });
        this.staged.push({ c, id: op.id, obj: null });
        this.events.push(event(this.index, c, 'delete', cur));
        return undefined;
      }
    }
  }

  /** In staging order, so the last staged state of each object and name wins. */
  commit(): void {
    for (const s of this.staged) {
      const byId = this.tables[s.c].byId;
      if (s.obj === null) byId.delete(s.id);
      else byId.set(s.id, s.obj);
    }
    for (const s of this.stagedNames) {
      const byName = this.tables[s.c].byName;
      if (!byName) continue;
      if (s.id === null) byName.delete(s.key);
      else byName.set(s.key, s.id);
    }
  }

  private lookup(c: Collection, id: string): AnyObject | undefined {
    for (let i = this.staged.length - 1; i >= 0; i--) {
      const s = this.staged[i];
      if (s.id === id && s.c === c) return s.obj ?? undefined;
    }
    return this.tables[c].byId.get(id);
  }

  private nameOwner(c: Collection, key: string): string | undefined {
    for (let i = this.stagedNames.length - 1; i >= 0; i--) {
      const s = this.stagedNames[i];
      if (s.key === key && s.c === c) return s.id ?? undefined;
    }
    return this.tables[c].byName?.get(key);
  }
}

function event(index: number, collection: Collection, action: Action, object: AnyObject): ChangeEvent {
  return Object.freeze({ index, collection, action, object }) as ChangeEvent;
}
