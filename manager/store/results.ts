// What applying a command yields. Ordinary failures are values, never exceptions: the same
// failure happens on every manager, and an exception there would stop every manager alike.

import type { Collection, StoredObject } from './objects.js';

export type ErrorCode = 'Conflict' | 'NotFound' | 'NameExists' | 'Invalid' | 'TooLarge';

export interface StoreError {
  code: ErrorCode;
  message: string;
  /** In a transaction: the position of the op that failed (nothing was applied). */
  op?: number;
}

export interface Failure {
  ok: false;
  error: StoreError;
}

export type Action = 'create' | 'update' | 'delete';

/** One object's change. For a delete, `object` is its last state. */
export type Change<C extends Collection = Collection> = {
  [K in C]: { collection: K; action: Action; object: StoredObject<K> };
}[C];

/** A change and the Raft index of the entry that made it (all changes of one transaction share it). */
export type ChangeEvent<C extends Collection = Collection> = Change<C> & { index: number };

export type OpResult<C extends Collection = Collection> = ({ ok: true } & ChangeEvent<C>) | Failure;

/** A transaction's changes in the order of its ops. */
export type TxnResult = { ok: true; index: number; changes: ChangeEvent[] } | Failure;

export type CommandResult = OpResult | TxnResult;

/**
 * Apply's answer when there was no command to run: `Stale` for an index at or below
 * applied() (a replay after restart), `Noop` for empty data (the Raft leader's no-op entry).
 */
export interface ApplyMarker {
  marker: 'Stale' | 'Noop';
}

export type ApplyResult = CommandResult | ApplyMarker;

export const STALE: ApplyMarker = Object.freeze({ marker: 'Stale' });
export const NOOP: ApplyMarker = Object.freeze({ marker: 'Noop' });

export function isMarker(r: ApplyResult): r is ApplyMarker {
  return 'marker' in r;
}

export function fail(code: ErrorCode, message: string, op?: number): Failure {
  return Object.freeze({ ok: false, error: Object.freeze(op === undefined ? { code, message } : { code, message, op }) });
}
