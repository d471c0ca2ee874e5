import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import { DecodeError, decodeBatch, encodeBatch } from '../../../manager/raft/transport/codec.js';
import { EntryType, MessageType, type Message } from '../../../manager/raft/core/types.js';

// dist/test/unit/transport -> repository root
const protoFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../proto/raft.proto');
const def = protoLoader.loadSync(protoFile, { keepCase: true, longs: Number, enums: Number, defaults: false });
const stream = (def['tsswarm.raft.v1.Raft'] as Record<string, { requestSerialize: (v: unknown) => Buffer; requestDeserialize: (b: Buffer) => unknown }>)
  .Stream!;

function base(over: Partial<Message>): Message {
  return { type: MessageType.App, from: 'n1', to: 'n2', term: 0, index: 0, logTerm: 0, entries: [], commit: 0, reject: false, rejectHint: 0, ...over };
}

const samples: Message[] = [
  base({
    term: 7,
    index: 2 ** 40 + 3,
    logTerm: 6,
    commit: 2 ** 53 - 1,
    entries: [
      { term: 7, index: 2 ** 40 + 4, type: EntryType.Normal, data: Buffer.from('hello') },
      { term: 7, index: 2 ** 40 + 5, type: EntryType.ConfChange, data: new Uint8Array(0) },
      { term: 7, index: 2 ** 40 + 6, type: EntryType.Normal, data: Buffer.alloc(70_000, 9) },
    ],
  }),
  base({ type: MessageType.AppResp, from: 'n2', to: 'n1', term: 7, index: 99, reject: true, rejectHint: 42 }),
  base({ type: MessageType.Vote, from: 'nœud-ß', to: 'n3', term: 1, index: 0, logTerm: 0, transfer: true }),
  base({ type: MessageType.Heartbeat, commit: 12, context: Buffer.from([1, 2, 3]) }),
  base({ type: MessageType.HeartbeatResp, context: new Uint8Array(0), transfer: false }),
  base({
    type: MessageType.Snap,
    term: 3,
    snapshot: { meta: { index: 500, term: 3, conf: { voters: ['n1', 'n2', 'n3'], learners: ['n4'] } }, data: Buffer.alloc(256 * 1024, 5) },
    snapOffset: 0,
    snapTotal: 1 << 20,
    snapDone: false,
  }),
  base({ type: MessageType.SnapResp, index: 500, snapOffset: 262144, snapDone: true }),
  base({ type: MessageType.Snap, snapshot: { meta: { index: 0, term: 0, conf: { voters: [], learners: [] } }, data: new Uint8Array(0) }, snapDone: true }),
];

/** Uint8Array/Buffer compare equal by content. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return [...v];
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

describe('raft message codec', () => {
  it('round-trips every field, keeping optional-field presence', () => {
    const out = decodeBatch(encodeBatch(samples));
    assert.deepEqual(plain(out), plain(samples));
    assert.equal('transfer' in out[0]!, false);
    assert.equal(out[4]!.transfer, false);
    assert.equal(out[4]!.context?.length, 0);
  });

  it('encodes a sub-range', () => {
    assert.deepEqual(plain(decodeBatch(encodeBatch(samples, 2, 4))), plain(samples.slice(2, 4)));
    assert.deepEqual(decodeBatch(encodeBatch([])), []);
  });

  it('agrees with protobufjs reading raft.proto, both ways', () => {
    // protobufjs reads our bytes as the same messages...
    const theirs = stream.requestDeserialize(encodeBatch(samples)) as { messages: Record<string, unknown>[] };
    assert.equal(theirs.messages.length, samples.length);
    for (let i = 0; i < samples.length; i++) {
      const want = samples[i]!;
      const got = theirs.messages[i]!;
      for (const k of ['type', 'term', 'index', 'logTerm', 'commit', 'rejectHint'] as const) assert.equal(got[k] ?? 0, want[k], `${k} of #${i}`);
      assert.equal(got.from ?? '', want.from);
      assert.equal(got.to ?? '', want.to);
      assert.equal(got.reject ?? false, want.reject);
      for (const k of ['transfer', 'snapOffset', 'snapTotal', 'snapDone'] as const) assert.equal(got[k], want[k], `${k} of #${i}`);
      assert.deepEqual(plain(got.context), plain(want.context));
      const ents = (got.entries ?? []) as Record<string, unknown>[];
      assert.deepEqual(
        ents.map((e) => ({ term: e.term ?? 0, index: e.index ?? 0, type: e.type ?? 0, data: plain(e.data ?? new Uint8Array(0)) })),
        plain(want.entries),
      );
      if (want.snapshot) {
        const s = got.snapshot as { meta: { index?: number; term?: number; conf?: { voters?: string[]; learners?: string[] } }; data?: Uint8Array };
        assert.equal(s.meta?.index ?? 0, want.snapshot.meta.index);
        assert.deepEqual(s.meta?.conf?.voters ?? [], want.snapshot.meta.conf.voters);
        assert.deepEqual(s.meta?.conf?.learners ?? [], want.snapshot.meta.conf.learners);
        assert.deepEqual(plain(s.data ?? new Uint8Array(0)), plain(want.snapshot.data));
      }
    }
    // ...and we read protobufjs's bytes (which also spell out default values) as the originals.
    assert.deepEqual(plain(decodeBatch(stream.requestSerialize({ messages: samples }))), plain(samples));
  });

  it('skips unknown fields and rejects malformed input', () => {
    const m = encodeBatch([samples[1]!]);
    // Append an unknown field 99 (varint) inside the message: tag (99<<3)|0 = 792 = 0x98 0x06.
    const inner = Buffer.concat([m.subarray(2), Buffer.from([0x98, 0x06, 0x05])]);
    const withUnknown = Buffer.concat([Buffer.from([0x0a, inner.length]), inner]);
    assert.deepEqual(plain(decodeBatch(withUnknown)), plain([samples[1]!]));
    assert.throws(() => decodeBatch(m.subarray(0, m.length - 1)), DecodeError);
    assert.throws(() => decodeBatch(Buffer.from([0x0a, 0x05, 0x08])), DecodeError);
    assert.throws(() => decodeBatch(Buffer.from([0x0b])), DecodeError);
    assert.throws(() => encodeBatch([base({ term: -1 })]), RangeError);
  });
});
