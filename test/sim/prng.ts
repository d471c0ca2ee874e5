// The simulator's only source of randomness. Everything that varies between
// runs (fault schedule, message delays, client choices, the cores' election
// jitter) draws from a Prng derived from the seed, so a seed replays exactly.
//
// xoshiro128** (Blackman & Vigna): 128 bits of state, 32-bit output, fast with
// Math.imul and good enough statistically for test schedules. The state is
// filled from the seed with splitmix32 so that nearby seeds diverge at once.

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Any safe integer works as a seed; the high bits are folded in so seeds above 2^32 differ too. */
  constructor(seed: number) {
    const hi = Math.floor(seed / 0x100000000) >>> 0;
    const st = { s: (seed >>> 0) ^ Math.imul(hi, 0x27d4eb2d) };
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1; // the all-zero state is a fixed point
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 0x100000000;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi], both inclusive. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** A new generator seeded from this one: separate streams keep one area's draws from shifting another's. */
  fork(): Prng {
    return new Prng(this.u32() * 0x100000 + (this.u32() & 0xfffff));
  }

  /** The `() => number` shape CoreConfig.rand wants. */
  asRand(): () => number {
    return () => this.float();
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
