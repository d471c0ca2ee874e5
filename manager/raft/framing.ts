// What the driver wraps around the application's bytes before they enter the log
// or a snapshot. The core sees both as opaque.
//
// Entry:    [u8 requestId length][requestId utf8][payload]
//   The request id lets the member that proposed an entry find it when it is
//   applied, wherever the proposal was forwarded to, so a write through a
//   follower gets its own result back.
// Snapshot: [u32 members length][members JSON][application snapshot]
//   Member addresses live in the snapshot so that a member restarted after log
//   compaction still knows where its peers are.

export interface FramedEntry {
  requestId: string;
  payload: Uint8Array;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function frameEntry(requestId: string, payload: Uint8Array): Uint8Array {
  const id = enc.encode(requestId);
  if (id.length > 255) throw new RangeError('request id longer than 255 bytes');
  const out = new Uint8Array(1 + id.length + payload.length);
  out[0] = id.length;
  out.set(id, 1);
  out.set(payload, 1 + id.length);
  return out;
}

/** Returns null for the leader's empty no-op entry and for bytes too short to be a frame. */
export function unframeEntry(data: Uint8Array): FramedEntry | null {
  if (data.length === 0) return null;
  const n = data[0]!;
  if (data.length < 1 + n) return null;
  return {
    requestId: dec.decode(data.subarray(1, 1 + n)),
    payload: data.subarray(1 + n),
  };
}

export type Members = Record<string, string>; // member id -> raft address

export function frameSnapshot(members: Members, app: Uint8Array): Uint8Array {
  const m = enc.encode(JSON.stringify(members));
  const out = new Uint8Array(4 + m.length + app.length);
  new DataView(out.buffer).setUint32(0, m.length);
  out.set(m, 4);
  out.set(app, 4 + m.length);
  return out;
}

export function unframeSnapshot(data: Uint8Array): { members: Members; app: Uint8Array } {
  if (data.length < 4) throw new Error('snapshot data shorter than its header');
  const n = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0);
  if (data.length < 4 + n) throw new Error('snapshot data truncated in its member table');
  const members = JSON.parse(dec.decode(data.subarray(4, 4 + n))) as Members;
  return { members, app: data.subarray(4 + n) };
}
