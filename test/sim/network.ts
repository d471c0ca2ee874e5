// The simulated network between Raft members. It loses, delays (and so
// reorders) and duplicates messages, and cuts links one way or both ways.
// A message is copied on send, as serialization would, so no two nodes ever
// share a mutable object.

import type { Entry, Message, NodeId } from '../../manager/raft/core/types.js';
import type { Prng } from './prng.js';

export interface NetworkProfile {
  /** Probability that a message is lost. */
  drop: number;
  /** Probability that a message is delivered twice. */
  duplicate: number;
  /** Base one-way latency range, virtual ms. */
  minDelay: number;
  maxDelay: number;
  /** Probability of an extra delay up to `slowDelay` ms (reorders and makes stale messages). */
  slow: number;
  slowDelay: number;
}

export const CALM: NetworkProfile = { drop: 0, duplicate: 0, minDelay: 1, maxDelay: 3, slow: 0, slowDelay: 0 };

function copyBytes(b: Uint8Array): Uint8Array {
  return b.slice();
}

function copyEntry(e: Entry): Entry {
  return { term: e.term, index: e.index, type: e.type, data: copyBytes(e.data) };
}

export function copyMessage(m: Message): Message {
  const c: Message = { ...m, entries: m.entries.map(copyEntry) };
  if (m.context) c.context = copyBytes(m.context);
  if (m.snapshot) {
    const conf = m.snapshot.meta.conf;
    c.snapshot = {
      meta: { ...m.snapshot.meta, conf: { voters: conf.voters.slice(), learners: conf.learners.slice() } },
      data: copyBytes(m.snapshot.data),
    };
  }
  return c;
}

export class Network {
  profile: NetworkProfile;
  /** Links cut, as "from>to". */
  private readonly cut = new Set<string>();
  sent = 0;
  dropped = 0;
  duplicated = 0;

  constructor(
    private readonly rng: Prng,
    profile: NetworkProfile,
  ) {
    this.profile = profile;
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cut.size > 0 && this.cut.has(`${from}>${to}`);
  }

  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
  }

  healAll(): void {
    this.cut.clear();
  }

  get partitioned(): boolean {
    return this.cut.size > 0;
  }

  /**
   * Decides the fate of one message: the delays (virtual ms) after which a
   * copy arrives; empty when it is lost. Links are checked again at delivery.
   */
  route(m: Message): number[] {
    this.sent++;
    const p = this.profile;
    if (this.isCut(m.from, m.to) || this.rng.chance(p.drop)) {
      this.dropped++;
      return [];
    }
    const copies = this.rng.chance(p.duplicate) ? 2 : 1;
    if (copies === 2) this.duplicated++;
    const out: number[] = [];
    for (let i = 0; i < copies; i++) {
      let d = this.rng.range(p.minDelay, p.maxDelay);
      if (p.slow > 0 && this.rng.chance(p.slow)) d += this.rng.range(0, p.slowDelay);
      out.push(d);
    }
    return out;
  }
}
