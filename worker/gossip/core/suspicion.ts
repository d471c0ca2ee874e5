// Lifeguard suspicion: how long a suspected member has to refute before it is
// declared dead. The timeout starts at its maximum and falls, logarithmically, with
// each independent member that also suspects it, down to the minimum once k have.

/** Minimum suspicion: mult * max(1, log10 N) probe intervals, as memberlist computes it. */
export function suspicionMinMs(mult: number, members: number, probeIntervalMs: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, members)));
  return Math.floor(mult * nodeScale * probeIntervalMs);
}

/** Timeout after n of k expected confirmations. */
export function suspicionTimeoutMs(n: number, k: number, minMs: number, maxMs: number): number {
  if (k < 1) return minMs;
  const frac = Math.log(n + 1) / Math.log(k + 1);
  return Math.max(minMs, Math.floor(maxMs - frac * (maxMs - minMs)));
}

export class Suspicion {
  private readonly seen = new Set<string>();
  private n = 0;
  private deadlineAt: number;

  /**
   * k: confirmations expected before the timeout reaches its minimum (0 when the
   * cluster is too small for any). `from` is the first accuser: it never confirms.
   */
  constructor(
    from: string,
    readonly k: number,
    readonly minMs: number,
    readonly maxMs: number,
    readonly startedAt: number,
  ) {
    this.seen.add(from);
    this.deadlineAt = startedAt + suspicionTimeoutMs(0, k, minMs, maxMs);
  }

  get deadline(): number {
    return this.deadlineAt;
  }

  get confirmations(): number {
    return this.n;
  }

  /** Records an independent accuser; true when it was new and shortened the timeout. */
  confirm(from: string): boolean {
    if (this.n >= this.k || this.seen.has(from)) return false;
    this.seen.add(from);
    this.n++;
    this.deadlineAt = this.startedAt + suspicionTimeoutMs(this.n, this.k, this.minMs, this.maxMs);
    return true;
  }
}
