// Piggybacked broadcasts. Each queued message rides on outgoing packets until it has
// been sent mult * ceil(log10(N+1)) times. The least-sent go first, so fresh news
// spreads before old news; a newer message about the same member replaces the older.
// The queue stays sorted between takes (a take only bumps counts by one, so re-sorting
// is nearly linear) and stops scanning once no queued message can fit: in a join storm
// a node holds one message per member, and a full sort per packet would dominate.

import { COMPOUND_PART_OVERHEAD } from '../codec.js';

interface Item {
  key: string;
  bytes: Uint8Array;
  transmits: number;
  /** How many times the base limit this message is sent. */
  weight: number;
  order: number;
  /** Superseded or spent: skipped, and swept out on the next compaction. */
  gone: boolean;
}

export function retransmitLimit(mult: number, members: number): number {
  return mult * Math.ceil(Math.log10(members + 1));
}

function byPriority(a: Item, b: Item): number {
  return a.transmits - b.transmits || b.order - a.order;
}

export class BroadcastQueue {
  /** Sorted by (transmits ascending, newest first); may hold `gone` items. */
  private items: Item[] = [];
  private readonly byKey = new Map<string, Item>();
  private counter = 0;
  private gone = 0;
  /** Smallest cost of any message ever queued: below it nothing can fit. */
  private minCost = Infinity;

  constructor(
    private readonly mult: number,
    private readonly members: () => number,
  ) {}

  /** Counts enqueues: it changes whenever news arrives. */
  get version(): number {
    return this.counter;
  }

  get length(): number {
    return this.byKey.size;
  }

  /** Queues an encoded message; an item with the same key is superseded. */
  enqueue(key: string, bytes: Uint8Array, weight = 1): void {
    const old = this.byKey.get(key);
    if (old !== undefined) this.drop(old);
    const it: Item = { key, bytes, transmits: 0, weight, order: this.counter++, gone: false };
    this.byKey.set(key, it);
    // Zero transmits and the highest order: it belongs at the front.
    this.items.unshift(it);
    this.minCost = Math.min(this.minCost, bytes.length + COMPOUND_PART_OVERHEAD);
    this.compact();
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** Whether some queued message has not been sent by this node yet. */
  hasFresh(): boolean {
    for (const it of this.items) {
      if (it.gone) continue;
      return it.transmits === 0; // the first live item has the fewest transmits
    }
    return false;
  }

  /** Takes as many broadcasts as fit in `budget` bytes (each part costs its length + overhead). */
  take(budget: number): Uint8Array[] {
    if (this.byKey.size === 0 || budget < this.minCost) return [];
    const limit = retransmitLimit(this.mult, this.members());
    const out: Uint8Array[] = [];
    let left = budget;
    for (const it of this.items) {
      if (left < this.minCost) break;
      if (it.gone) continue;
      const cost = it.bytes.length + COMPOUND_PART_OVERHEAD;
      if (cost > left) continue;
      left -= cost;
      out.push(it.bytes);
      it.transmits++;
      if (it.transmits >= limit * it.weight) this.drop(it);
    }
    if (out.length > 0) {
      this.items.sort(byPriority);
      this.compact();
    }
    return out;
  }

  private drop(it: Item): void {
    it.gone = true;
    this.gone++;
    this.byKey.delete(it.key);
  }

  private compact(): void {
    if (this.gone === 0 || this.gone * 2 < this.items.length) return;
    this.items = this.items.filter((i) => !i.gone);
    this.gone = 0;
  }
}
