// Client operations as the clients saw them, and their translation into the
// linearizability checker's history.

import type { KvInput, KvOp, KvOutput } from './linearizability.js';
import type { NodeId } from '../../manager/raft/core/types.js';

export type OpStatus = 'pending' | 'ok' | 'failed' | 'timeout';

export interface ClientOp {
  id: number;
  client: number;
  input: KvInput;
  /** History instants (a global counter, so real-time order is exact). */
  call: number;
  ret: number;
  output: KvOutput | undefined;
  status: OpStatus;
  /** The member the client sent it to. */
  node: NodeId;
}

/**
 * The checker's view. An operation that failed outright (the core refused
 * the proposal) had no effect and is left out; so is an unanswered one whose
 * command no replica ever applied (no state anyone could observe holds it).
 * Every other unanswered write stays in as indeterminate.
 */
export function toCheckerHistory(ops: readonly ClientOp[], appliedOps: ReadonlySet<number>): KvOp[] {
  const out: KvOp[] = [];
  for (const o of ops) {
    if (o.status === 'failed') continue;
    if (o.status === 'ok') {
      out.push({ id: o.id, client: o.client, input: o.input, output: o.output, call: o.call, ret: o.ret });
      continue;
    }
    if (o.input.kind === 'get' || !appliedOps.has(o.id)) continue;
    out.push({ id: o.id, client: o.client, input: o.input, output: undefined, call: o.call, ret: Infinity });
  }
  return out;
}
