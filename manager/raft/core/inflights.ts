// The App messages a leader has sent to one follower in Replicate state and not yet
// seen acknowledged. Bounded by count and by bytes, so a slow follower cannot make
// the leader hold (or the network carry) an unbounded window.

interface Inflight {
  /** Last entry index the message carried. */
  index: number;
  bytes: number;
}

export class Inflights {
  private items: Inflight[] = [];
  private head = 0;
  private totalBytes = 0;

  constructor(
    private readonly maxCount: number,
    /** 0 = unbounded. */
    private readonly maxBytes: number,
  ) {}

  count(): number {
    return this.items.length - this.head;
  }

  bytes(): number {
    return this.totalBytes;
  }

  add(index: number, bytes: number): void {
    this.items.push({ index, bytes });
    this.totalBytes += bytes;
  }

  full(): boolean {
    return this.count() >= Math.max(1, this.maxCount) || (this.maxBytes > 0 && this.totalBytes >= this.maxBytes);
  }

  /** Everything up to and including `index` was acknowledged. */
  freeLE(index: number): void {
    while (this.head < this.items.length && this.items[this.head].index <= index) {
      this.totalBytes -= this.items[this.head].bytes;
      this.head++;
    }
    this.compactIfSparse();
  }

  freeFirstOne(): void {
    if (this.head < this.items.length) this.freeLE(this.items[this.head].index);
  }

  reset(): void {
    this.items = [];
    this.head = 0;
    this.totalBytes = 0;
  }

  private compactIfSparse(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
