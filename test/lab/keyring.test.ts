// The gossip keyring rotates under a running overlay: the leader makes a new key, every
// node gets it as a secondary, then sends with it three heartbeats later, and nothing
// notices: no member is declared failed, table events keep flowing, containers keep
// reaching each other.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Lab } from '../harness/lab.js';
import { ok, pings, until } from './overlay-kit.js';

let lab: Lab;

before(async () => {
  lab = await Lab.up({ managers: 1, workers: 2, gossipKeyRotation: '1m' });
});

after(async () => {
  await lab?.down();
});

const log = (host: string): string => readFileSync(lab.host(host).log, 'utf8');
const sendingWith = (host: string): string[] => [...log(host).matchAll(/gossip keyring now \d key\(s\), sending with ([0-9a-f]{8})/g)].map((m) => m[1]!);

test('a gossip key rotation under a running overlay loses nothing', async () => {
  await ok(lab, 'm1', ['network', 'create', '-d', 'overlay', '--attachable', '--subnet', '10.36.0.0/24', 'app']);
  await ok(lab, 'w1', ['run', '-d', '--name', 'a', '--network', 'app', '--', 'sleep', '3600']);
  await ok(lab, 'w2', ['run', '-d', '--name', 'b', '--network', 'app', '--', 'sleep', '3600']);
  await until('a to reach b', 20_000, () => pings(lab, 'w1', 'a', 'b'));

  await until('the leader to make a new gossip key', 90_000, async () => /gossip key rotated \(key 2\)/.test(log('m1')), 500);
  // First handed out as a secondary (still sending with the old key), then promoted.
  for (const h of ['m1', 'w1', 'w2']) {
    await until(`${h} to send with the new key`, 60_000, async () => new Set(sendingWith(h)).size >= 2, 500);
  }
  const seen = ['m1', 'w1', 'w2'].map((h) => sendingWith(h));
  assert.ok(seen.every((s) => s[0] === seen[0]![0] && s.at(-1) === seen[0]!.at(-1)), `every node went from the same old key to the same new one: ${JSON.stringify(seen)}`);

  // Gossip still carries everything: a container started now is known everywhere by name.
  await ok(lab, 'w2', ['run', '-d', '--name', 'c', '--network', 'app', '--', 'sleep', '3600']);
  await until('a to reach c, announced after the rotation', 20_000, () => pings(lab, 'w1', 'a', 'c'));
  assert.ok(await pings(lab, 'w2', 'b', 'a'));
  for (const h of ['m1', 'w1', 'w2']) assert.doesNotMatch(log(h), /failed; dropping its endpoints/, `${h} saw no member fail`);
});
