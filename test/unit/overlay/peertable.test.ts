// Peer programming without a kernel: parsing what iproute2 prints, the diff, the batch text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { checkPeers, diffPeers, fdbBatch, isEmpty, neighBatch, parseFdbJson, parseNeighJson, removeChanges, setChanges, type Peer } from '../../../worker/overlay/peertable.js';
import { failsWith } from '../errors.js';

const B: Peer = { ip: '10.0.0.3', mac: '02:42:0a:00:00:03', vtep: '172.31.7.12' };
const C: Peer = { ip: '10.0.0.4', mac: '02:42:0a:00:00:04', vtep: '172.31.7.21' };

// Captured from iproute2 6.1 on a sandbox's vxlan0.
const NEIGH_JSON = '[{"dst":"10.0.0.3","lladdr":"02:42:0A:00:00:03","state":["PERMANENT"]},{"dst":"10.0.0.9","state":["FAILED"]}]';
const FDB_JSON = '[{"mac":"5a:19:42:35:d0:a6","flags":[],"master":"br0","state":"permanent"},' +
  '{"mac":"02:42:0a:00:00:03","dst":"172.31.7.12","linkNetNsId":0,"flags":["self"],"state":"permanent"}]';

describe('parsing iproute2 JSON', () => {
  it('reads neighbour entries with their MAC and whether they are permanent', () => {
    assert.deepEqual(parseNeighJson(NEIGH_JSON), [
      { ip: '10.0.0.3', mac: '02:42:0a:00:00:03', permanent: true },
      { ip: '10.0.0.9', permanent: false },
    ]);
    assert.deepEqual(parseNeighJson(''), []);
    assert.deepEqual(parseNeighJson('[]'), []);
  });

  it('reads only remote FDB entries, not the bridge port entry', () => {
    assert.deepEqual(parseFdbJson(FDB_JSON), [{ mac: '02:42:0a:00:00:03', vtep: '172.31.7.12' }]);
  });

  it('refuses output that is not a JSON array', () => {
    assert.throws(() => parseFdbJson('{"mac":"x"}'), failsWith('Corrupt', /not an array/));
    assert.throws(() => parseNeighJson('not json'), SyntaxError);
  });
});

describe('diffing desired peers against the kernel', () => {
  it('adds what is missing, deletes what is stale, and replaces changed or non-permanent entries', () => {
    const c = diffPeers([B, C], {
      neigh: [
        { ip: '10.0.0.3', mac: '02:42:0a:00:00:03', permanent: true },
        { ip: '10.0.0.4', mac: '02:42:0a:00:00:04', permanent: false },
        { ip: '10.0.0.99', mac: '02:42:0a:00:00:63', permanent: true },
      ],
      fdb: [
        { mac: '02:42:0a:00:00:03', vtep: '172.31.7.12' },
        { mac: '02:42:0a:00:00:04', vtep: '172.31.7.99' },
        { mac: '02:42:0a:00:00:63', vtep: '172.31.7.12' },
      ],
    });
    assert.deepEqual(c, {
      neighDel: ['10.0.0.99'],
      neighSet: [{ ip: '10.0.0.4', mac: '02:42:0a:00:00:04' }],
      fdbDel: [{ mac: '02:42:0a:00:00:04', vtep: '172.31.7.99' }, { mac: '02:42:0a:00:00:63', vtep: '172.31.7.12' }],
      fdbSet: [{ mac: '02:42:0a:00:00:04', vtep: '172.31.7.21' }],
    });
  });

  it('finds nothing to do when the kernel already holds exactly the peers', () => {
    const kernel = { neigh: [{ ip: B.ip, mac: B.mac, permanent: true }], fdb: [{ mac: B.mac, vtep: B.vtep }] };
    assert.ok(isEmpty(diffPeers([{ ...B, mac: B.mac.toUpperCase() }], kernel)));
  });

  it('with no desired peers, deletes everything the kernel holds', () => {
    const c = diffPeers([], { neigh: [{ ip: B.ip, mac: B.mac, permanent: true }], fdb: [{ mac: B.mac, vtep: B.vtep }] });
    assert.deepEqual(c, { neighDel: [B.ip], neighSet: [], fdbDel: [{ mac: B.mac, vtep: B.vtep }], fdbSet: [] });
  });

  it('removes only the given peers the kernel holds', () => {
    const kernel = { neigh: [{ ip: B.ip, mac: B.mac, permanent: true }], fdb: [{ mac: B.mac, vtep: B.vtep }, { mac: C.mac, vtep: C.vtep }] };
    assert.deepEqual(removeChanges([C], kernel), { neighDel: [], neighSet: [], fdbDel: [{ mac: C.mac, vtep: C.vtep }], fdbSet: [] });
  });

  it('refuses contradictory or malformed peers', () => {
    assert.throws(() => checkPeers([B, { ...B, mac: '02:42:0a:00:00:09' }]), failsWith('Invalid', /10\.0\.0\.3 is given twice/));
    assert.throws(() => checkPeers([B, { ...C, mac: B.mac }]), failsWith('Invalid', /at two VTEPs/));
    assert.throws(() => checkPeers([{ ...B, vtep: '172.31.7.12 self' }]), failsWith('Invalid', /VTEP address/));
  });
});

describe('batch text', () => {
  it('puts deletions before additions, one line per entry, permanent entries on vxlan0', () => {
    const c = diffPeers([B], { neigh: [{ ip: '10.0.0.99', mac: '02:42:0a:00:00:63', permanent: true }], fdb: [{ mac: '02:42:0a:00:00:63', vtep: '172.31.7.12' }] });
    assert.deepEqual(neighBatch(c), [
      'neigh del 10.0.0.99 dev vxlan0',
      'neigh replace 10.0.0.3 lladdr 02:42:0a:00:00:03 dev vxlan0 nud permanent',
    ]);
    assert.deepEqual(fdbBatch(c), [
      'fdb del 02:42:0a:00:00:63 dev vxlan0 dst 172.31.7.12 self',
      'fdb replace 02:42:0a:00:00:03 dev vxlan0 dst 172.31.7.12 self permanent',
    ]);
  });

  it('sets every peer, one FDB entry per MAC', () => {
    const c = setChanges([B, C, B]);
    assert.equal(neighBatch(c).length, 2);
    assert.equal(fdbBatch(c).length, 2);
  });
});
