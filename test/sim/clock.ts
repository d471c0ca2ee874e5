// The virtual clock: a priority queue of timed events. Time only moves when
// the next event is taken, so a run is a pure function of the seed. Events at
// the same instant run in the order they were scheduled (a sequence number
// breaks ties), never in an order that depends on the heap's layout.

export interface SimEvent {
  time: number;
  seq: number;
  /** What kind of event, for the trace (short, stable). */
  label: string;
  run: () => void;
}

export class VirtualClock {
  private heap: SimEvent[] = [];
  private seq = 0;
  now = 0;

  get pending(): number {
    return this.heap.length;
  }

  /** Runs `run` `delay` virtual ms from now (delay >= 0). */
  after(delay: number, label: string, run: () => void): void {
    if (!(delay >= 0)) throw new Error(`negative or NaN delay ${delay}`);
    this.push({ time: this.now + delay, seq: this.seq++, label, run });
  }

  /** Takes the next event and advances the clock to it; undefined when nothing is scheduled. */
  next(): SimEvent | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      this.down(0);
    }
    this.now = top.time;
    return top;
  }

  peekTime(): number {
    return this.heap.length > 0 ? this.heap[0]!.time : Infinity;
  }

  private less(a: SimEvent, b: SimEvent): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private push(e: SimEvent): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(h[l]!, h[m]!)) m = l;
      if (r < n && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

/**
 * A running 64-bit FNV-1a-style hash (two 32-bit lanes) of everything the
 * simulation did, so a test can assert that a seed replays exactly.
 */
export class TraceHash {
  private a = 0x811c9dc5;
  private b = 0x01000193;

  num(x: number): void {
    // Fold integers and fractions alike: virtual times can be fractional.
    const lo = x | 0;
    const hi = Math.floor(x / 4294967296) | 0;
    const frac = Math.round((x - Math.floor(x)) * 1e6) | 0;
    this.mix(lo);
    this.mix(hi ^ frac);
  }

  str(s: string): void {
    for (let i = 0; i < s.length; i++) this.mix(s.charCodeAt(i));
    this.mix(s.length);
  }

  private mix(x: number): void {
    this.a = Math.imul(this.a ^ x, 16777619);
    this.b = Math.imul(this.b ^ (x + 0x9e3779b9), 0x5bd1e995);
    this.b ^= this.b >>> 15;
  }

  hex(): string {
    return (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0');
  }
}
