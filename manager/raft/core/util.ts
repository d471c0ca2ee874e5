// Small helpers shared by the core's files.

import { RaftError, RaftErrorCode } from './types.js';
import type { ConfState, Entry, HardState, Message, MessageType, NodeId } from './types.js';

/** Bytes an entry counts for in every size limit: its payload only, so limits mean what the config says. */
export function entrySize(e: Entry): number {
  return e.data.length;
}

export function payloadSize(ents: readonly Entry[]): number {
  let s = 0;
  for (const e of ents) s += e.data.length;
  return s;
}

/**
 * The longest prefix of `ents` whose size stays within `maxBytes`, but never fewer than
 * one entry: a single oversized entry must still be able to travel.
 */
export function limitSize(ents: Entry[], maxBytes: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = entrySize(ents[0]);
  let n = 1;
  for (; n < ents.length; n++) {
    size += entrySize(ents[n]);
    if (size > maxBytes) break;
  }
  return n === ents.length ? ents : ents.slice(0, n);
}

export interface MessageFields {
  type: MessageType;
  to: NodeId;
  from?: NodeId;
  term?: number;
  index?: number;
  logTerm?: number;
  entries?: Entry[];
  commit?: number;
  reject?: boolean;
  rejectHint?: number;
  transfer?: boolean;
  context?: Uint8Array;
}

/** A Message with every required field present; optional ones only when given. */
export function makeMessage(f: MessageFields): Message {
  const m: Message = {
    type: f.type,
    from: f.from ?? '',
    to: f.to,
    term: f.term ?? 0,
    index: f.index ?? 0,
    logTerm: f.logTerm ?? 0,
    entries: f.entries ?? [],
    commit: f.commit ?? 0,
    reject: f.reject ?? false,
    rejectHint: f.rejectHint ?? 0,
  };
  if (f.transfer !== undefined) m.transfer = f.transfer;
  if (f.context !== undefined) m.context = f.context;
  return m;
}

/** A map key for opaque bytes (read contexts). Hex keeps it unambiguous. */
export function bytesKey(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

export function cloneConf(c: ConfState): ConfState {
  return { voters: [...c.voters], learners: [...c.learners] };
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

export function isCompacted(e: unknown): boolean {
  return e instanceof RaftError && e.code === RaftErrorCode.Compacted;
}

export function isUnavailable(e: unknown): boolean {
  return e instanceof RaftError && e.code === RaftErrorCode.Unavailable;
}

export function compareIds(a: NodeId, b: NodeId): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
