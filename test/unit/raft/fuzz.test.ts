// A small randomized run of the real core with lossy, reordering, duplicating
// delivery, partitions, restarts, compaction and membership changes. It is no
// substitute for the simulator; it exists so the core's own tests shake out the
// obvious interleaving bugs. Every seed replays exactly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net, bytes, seeded, str } from './net.js';
import { MemoryStorage } from '../../../manager/raft/core/memory_storage.js';
import { ConfChangeType, Role } from '../../../manager/raft/core/types.js';
import type { Message } from '../../../manager/raft/core/types.js';

function run(seed: number, steps: number): void {
  const rnd = seeded(seed * 7919 + 13);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const small = seed % 2 === 0;
  const net = new Net(['a', 'b', 'c', 'd', 'e'], {
    maxSizePerMsg: small ? 8 : 1024,
    maxInflightMsgs: small ? 2 : 16,
    snapshotChunkSize: small ? 16 : 64,
    maxInflightSnapChunks: 2,
  });
  const applied = new Map<number, string>();
  const leaderOfTerm = new Map<number, string>();
  net.onApply = (id, e) => {
    const k = `${e.term}:${e.type}:${str(e.data)}`;
    const prev = applied.get(e.index);
    assert.ok(prev === undefined || prev === k, `seed ${seed}: ${id} applied ${k} at ${e.index}, others applied ${prev}`);
    applied.set(e.index, k);
  };
  let joined = 0;
  let n = 0;
  const check = (): void => {
    for (const p of net.peers.values()) {
      const st = p.node.status();
      if (st.softState.role === Role.Leader) {
        const other = leaderOfTerm.get(st.hardState.term);
        assert.ok(other === undefined || other === p.id, `seed ${seed}: two leaders in term ${st.hardState.term}`);
        leaderOfTerm.set(st.hardState.term, p.id);
      }
    }
  };
  const deliverSome = (): void => {
    const q = net.queue;
    net.queue = [];
    const keep: Message[] = [];
    for (const m of q) {
      const r = rnd();
      if (r < 0.1) continue; // lost
      if (r < 0.25) {
        keep.push(m); // delayed (reordered behind later messages)
        continue;
      }
      if (net.deliverable(m)) net.node(m.to).step(m);
      if (r > 0.97 && net.deliverable(m)) net.node(m.to).step(m); // duplicated
    }
    net.queue.push(...keep);
  };
  for (let i = 0; i < steps; i++) {
    const r = rnd();
    const ids = [...net.peers.keys()];
    if (r < 0.45) {
      for (const id of ids) net.node(id).tick();
    } else if (r < 0.7) {
      const id = pick(ids);
      net.node(id).propose(bytes(`v${n++}`));
    } else if (r < 0.73) {
      net.isolate(pick(ids));
    } else if (r < 0.78) {
      net.heal();
    } else if (r < 0.8) {
      const id = pick(ids);
      net.restart(id, seed * 100 + i);
    } else if (r < 0.83) {
      const id = pick(ids);
      const p = net.peer(id);
      if (p.applied > p.storage.snapshot().meta.index) net.snapshotAndCompact(id);
    } else if (r < 0.85) {
      const lead = ids.find((id) => net.node(id).status().softState.role === Role.Leader);
      if (lead) {
        const conf = net.node(lead).status().conf;
        const learner = conf.learners[0];
        const voter = conf.voters.filter((v) => v !== lead);
        const c = rnd();
        if (learner && c < 0.5) net.node(lead).proposeConfChange({ type: ConfChangeType.AddVoter, node: learner });
        else if (c < 0.7 && joined < 2) {
          const id = `n${joined++}`;
          if (net.node(lead).proposeConfChange({ type: ConfChangeType.AddLearner, node: id }) === null) {
            net.addPeer(id, new MemoryStorage(), seed * 1000 + joined);
          }
        } else if (voter.length > 2) {
          net.node(lead).proposeConfChange({ type: ConfChangeType.RemoveNode, node: pick(voter) });
        }
      }
    } else if (r < 0.87) {
      const id = pick(ids);
      net.node(id).readIndex(bytes(`r${i}`));
    }
    net.handleAll();
    deliverSome();
    net.handleAll();
    check();
  }
  // Heal and let it settle: everyone still a member converges.
  net.heal();
  net.drop = () => false;
  for (let i = 0; i < 200; i++) {
    for (const id of net.peers.keys()) net.node(id).tick();
    net.stabilize();
    check();
  }
  const lead = [...net.peers.keys()].filter((id) => net.node(id).status().softState.role === Role.Leader);
  assert.equal(lead.length, 1, `seed ${seed}: one leader at the end`);
  const l = lead[0];
  assert.equal(net.node(l).propose(bytes('final')), null);
  net.tick(3);
  const members = new Set([...net.node(l).status().conf.voters, ...net.node(l).status().conf.learners]);
  for (const id of members) {
    assert.deepEqual(net.peer(id).sm, net.peer(l).sm, `seed ${seed}: ${id} diverged from leader ${l}`);
  }
  assert.equal(net.peer(l).sm[net.peer(l).sm.length - 1], 'final');
}

test('randomized runs keep safety and converge', () => {
  for (let seed = 1; seed <= 40; seed++) run(seed, 400);
});
