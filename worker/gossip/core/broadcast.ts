// Piggybacked broadcasts. Each queued message rides on outgoing packets until it has
// been sent mult * ceil(log10(N+1)) times. The least-sent go first, so fresh news
// spreads before old news; a newer message about the same member replaces the older.

import { COMPOUND_PART_OVERHEAD } from '../codec.js';

interface Item {
  key: string;
  bytes: Uint8Array;
  transmits: number;
  order: number;
}

export function retransmitLimit(mult: number, members: number): number {
  return mult * Math.ceil(Math.log10(members + 1));
}

export class BroadcastQueue {
  private items: Item[] = [];
  private counter = 0;

  constructor(
    private readonly mult: number,
    private readonly members: () => number,
  ) {}

  get length(): number {
    return this.items.length;
  }

  /** Queues an encoded message; an item with the same key is superseded. */
  enqueue(key: string, bytes: Uint8Array): void {
    this.items = this.items.filter((i) => i.key !== key);
    this.items.push({ key, bytes, transmits: 0, order: this.counter++ });
  }

  has(key: string): boolean {
    return this.items.some((i) => i.key === key);
  }

  /** Takes as many broadcasts as fit in `budget` bytes (each part costs its length + overhead). */
  take(budget: number): Uint8Array[] {
    if (this.items.length === 0) return [];
    const limit = retransmitLimit(this.mult, this.members());
    const sorted = [...this.items].sort((a, b) => a.transmits - b.transmits || b.order - a.order);
    const out: Uint8Array[] = [];
    let left = budget;
    const spent = new Set<Item>();
    for (const it of sorted) {
      const cost = it.bytes.length + COMPOUND_PART_OVERHEAD;
      if (cost > left) continue;
      left -= cost;
      out.push(it.bytes);
      it.transmits++;
      if (it.transmits >= limit) spent.add(it);
    }
    if (spent.size > 0) this.items = this.items.filter((i) => !spent.has(i));
    return out;
  }
}
