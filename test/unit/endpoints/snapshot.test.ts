// The endpoints collection came after snapshot format 1: snapshots written before it
// must still restore (as having no endpoints), a state without endpoints must still be
// written as before, and nothing else may go missing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decodeEnvelope, KIND_SNAPSHOT } from '../../../manager/store/codec.js';
import { StateMachine, type Contents } from '../../../manager/store/index.js';
import { bytesEqual, cmd, configContent, createOp, networkContent } from '../store/helpers.js';

/** Envelope bytes for a JSON text and blob section, as codec.ts lays them out. */
function envelope(json: string, blobs: Uint8Array = new Uint8Array(0)): Uint8Array {
  const text = new TextEncoder().encode(json);
  const out = new Uint8Array(5 + text.length + blobs.length);
  out[0] = KIND_SNAPSHOT;
  new DataView(out.buffer).setUint32(1, text.length);
  out.set(text, 5);
  out.set(blobs, 5 + text.length);
  return out;
}

function withoutCollection(snap: Uint8Array, collection: string): Uint8Array {
  const { value, blobs } = decodeEnvelope(KIND_SNAPSHOT, snap);
  const v = value as { collections: Record<string, unknown> };
  assert.ok(collection in v.collections);
  delete v.collections[collection];
  return envelope(JSON.stringify(v), blobs);
}

const endpoint = (networkId: string): Contents['endpoints'] => ({
  spec: { networkId, nodeId: 'node1', containerName: 'web', containerId: 'a'.repeat(64), aliases: ['www'] },
  address: '10.9.0.2/24',
  mac: '02:42:0a:09:00:02',
});

function state(withEndpoint: boolean): StateMachine {
  const sm = new StateMachine();
  const net = 'n'.repeat(25);
  sm.apply(1, cmd({ op: createOp('networks', networkContent('front'), net) }, 'r1'));
  sm.apply(2, cmd({ op: createOp('configs', configContent('site.conf', new Uint8Array([0, 1, 255]))) }, 'r2'));
  if (withEndpoint) sm.apply(3, cmd({ op: createOp('endpoints', endpoint(net)) }, 'r3'));
  return sm;
}

describe('snapshots and the endpoints collection', () => {
  it('restores a snapshot written before the collection existed', () => {
    // Byte for byte what the code before the collection wrote for an empty store.
    const old = envelope('{"format":1,"applied":0,"collections":{"clusters":[],"nodes":[],"networks":[],"services":[],"tasks":[],"configs":[],"keys":[]},"requests":[]}');
    const b = new StateMachine();
    b.restore(old);
    assert.deepEqual(b.list('endpoints'), []);
    assert.ok(bytesEqual(b.snapshot(), old), 'a state without endpoints is written as it always was');
  });

  it('restores an older snapshot with objects and blobs, and writes it back unchanged', () => {
    const a = state(false);
    const snap = a.snapshot();
    assert.ok(!new TextDecoder().decode(snap).includes('endpoints'));
    const b = new StateMachine();
    b.restore(snap);
    assert.equal(b.applied(), 2);
    assert.deepEqual(b.list('networks'), a.list('networks'));
    assert.deepEqual(b.getByName('configs', 'site.conf')?.spec.data, new Uint8Array([0, 1, 255]));
    assert.ok(bytesEqual(b.snapshot(), snap));
  });

  it('writes and restores endpoints once there are some', () => {
    const a = state(true);
    const snap = a.snapshot();
    const b = new StateMachine();
    b.restore(snap);
    assert.equal(b.list('endpoints').length, 1);
    assert.deepEqual(b.list('endpoints'), a.list('endpoints'));
    assert.ok(bytesEqual(b.snapshot(), snap));
  });

  it('still requires every other collection', () => {
    const old = withoutCollection(state(false).snapshot(), 'keys');
    assert.throws(() => new StateMachine().restore(old), /collections\.keys/);
  });
});
