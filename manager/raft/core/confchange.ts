// Single-server membership changes: their wire form inside a ConfChange entry, the
// check a leader makes before proposing one, and the pure function applying one.
//
// Wire form (big-endian): u8 version=1, u8 type, u32 len + UTF-8 node id,
// u8 hasContext, [u32 len + context bytes]. Fixed layout, so the same change
// always encodes to the same bytes on every member.

import { ConfChangeType, RaftError, RaftErrorCode } from './types.js';
import type { ConfChange, ConfState, NodeId } from './types.js';

const VERSION = 1;

export function encodeConfChange(cc: ConfChange): Uint8Array {
  const node = new TextEncoder().encode(cc.node);
  const ctx = cc.context;
  const size = 1 + 1 + 4 + node.length + 1 + (ctx ? 4 + ctx.length : 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  let p = 0;
  dv.setUint8(p++, VERSION);
  dv.setUint8(p++, cc.type);
  dv.setUint32(p, node.length);
  p += 4;
  out.set(node, p);
  p += node.length;
  dv.setUint8(p++, ctx ? 1 : 0);
  if (ctx) {
    dv.setUint32(p, ctx.length);
    p += 4;
    out.set(ctx, p);
  }
  return out;
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const bad = (why: string): never => {
    throw new Error(`decodeConfChange: ${why}`);
  };
  if (data.length < 7) bad('too short');
  let p = 0;
  if (dv.getUint8(p++) !== VERSION) bad('unknown version');
  const type = dv.getUint8(p++);
  if (type !== ConfChangeType.AddLearner && type !== ConfChangeType.AddVoter && type !== ConfChangeType.RemoveNode) {
    bad(`unknown type ${type}`);
  }
  const nlen = dv.getUint32(p);
  p += 4;
  if (p + nlen + 1 > data.length) bad('truncated node id');
  const node = new TextDecoder().decode(data.subarray(p, p + nlen));
  p += nlen;
  const hasCtx = dv.getUint8(p++);
  const cc: ConfChange = { type: type as ConfChangeType, node };
  if (hasCtx) {
    if (p + 4 > data.length) bad('truncated context length');
    const clen = dv.getUint32(p);
    p += 4;
    if (p + clen > data.length) bad('truncated context');
    cc.context = data.slice(p, p + clen);
  }
  return cc;
}

/**
 * Why the leader must refuse this change against the current membership, or null.
 * AddVoter accepts a node the cluster has never seen (a fresh voter) as well as a learner.
 */
export function validateConfChange(conf: ConfState, cc: ConfChange): RaftError | null {
  if (cc.node === '') return new RaftError(RaftErrorCode.UnknownNode, 'conf change without a node id');
  const isVoter = conf.voters.includes(cc.node);
  const isLearner = conf.learners.includes(cc.node);
  switch (cc.type) {
    case ConfChangeType.AddVoter:
      return null;
    case ConfChangeType.AddLearner:
      if (isVoter && conf.voters.length === 1) {
        return new RaftError(RaftErrorCode.LastVoter, `cannot demote ${cc.node}, the last voter`);
      }
      return null;
    case ConfChangeType.RemoveNode:
      if (!isVoter && !isLearner) return new RaftError(RaftErrorCode.UnknownNode, `${cc.node} is not a member`);
      if (isVoter && conf.voters.length === 1) {
        return new RaftError(RaftErrorCode.LastVoter, `cannot remove ${cc.node}, the last voter`);
      }
      return null;
  }
}

function without(ids: NodeId[], id: NodeId): NodeId[] {
  return ids.filter((x) => x !== id);
}

function withSorted(ids: NodeId[], id: NodeId): NodeId[] {
  return ids.includes(id) ? ids.slice() : [...ids, id].sort();
}

/**
 * The membership after `cc`. Applying the same change twice gives the same result,
 * so replaying entries after a restart is harmless. Never empties the voters: a
 * change that would (only reachable if validation was bypassed) is ignored.
 */
export function applyToConf(conf: ConfState, cc: ConfChange): ConfState {
  let voters = conf.voters.slice();
  let learners = conf.learners.slice();
  switch (cc.type) {
    case ConfChangeType.AddVoter:
      learners = without(learners, cc.node);
      voters = withSorted(voters, cc.node);
      break;
    case ConfChangeType.AddLearner:
      if (voters.includes(cc.node) && voters.length === 1) return { voters, learners };
      voters = without(voters, cc.node);
      learners = withSorted(learners, cc.node);
      break;
    case ConfChangeType.RemoveNode:
      if (voters.includes(cc.node) && voters.length === 1) return { voters, learners };
      voters = without(voters, cc.node);
      learners = without(learners, cc.node);
      break;
  }
  return { voters, learners };
}
