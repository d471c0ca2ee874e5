// Names come from networkdb's dns table, scoped to the asking container's networks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { RCode, RRType } from '../../../worker/dns/codec.js';
import { netdbLookup } from '../../../worker/dns/lookup.js';
import { resolve } from '../../../worker/dns/resolver.js';
import { NetDb } from '../../../worker/netdb/netdb.js';
import { query } from './helpers.js';

describe('netdbLookup', () => {
  const db = new NetDb({ nodeId: 'A', incarnation: 1 });
  db.joinNetwork('front');
  db.joinNetwork('back');
  db.create('dns', 'front', 'ep1', { name: 'web', aliases: ['www'], ip: '10.0.1.2' }, 0);
  db.create('dns', 'back', 'ep2', { name: 'db', aliases: [], ip: '10.0.2.2' }, 0);
  db.create('dns', 'back', 'ep3', { name: 'web', aliases: [], ip: '10.0.2.3' }, 0);
  db.create('dns', 'back', 'ep4', { name: 'v6', aliases: [], ip: 'fd00::4' }, 0);

  it('sees only the asker\'s networks, by name or alias, case-insensitively', () => {
    let nets = ['front'];
    const l = netdbLookup(db, () => nets);
    assert.deepEqual(l.ipv4('web'), ['10.0.1.2']);
    assert.deepEqual(l.ipv4('www'), ['10.0.1.2']);
    assert.deepEqual(l.ipv4('db'), []);
    assert.equal(l.ptr('10.0.2.2'), undefined);
    nets = ['front', 'back'];
    assert.deepEqual(l.ipv4('web'), ['10.0.1.2', '10.0.2.3']);
    assert.equal(l.ptr('10.0.2.2'), 'db');
    assert.deepEqual(l.ipv4('v6'), []);
    assert.deepEqual(l.ipv6?.('v6'), ['fd00::4']);
  });

  it('drives the responder: a deleted container stops resolving', () => {
    const l = netdbLookup(db, () => ['back']);
    assert.equal(resolve(query('db', RRType.A), l, { canForward: true }).kind, 'reply');
    db.delete('dns', 'back', 'ep2', 0);
    const r = resolve(query('db', RRType.A), l, { canForward: true });
    assert.equal(r.kind === 'reply' ? r.message.header.rcode : -1, RCode.NXDOMAIN);
  });
});
