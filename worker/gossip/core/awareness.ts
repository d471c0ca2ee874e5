// Lifeguard local health awareness. A node that misses acks and nacks is more likely
// slow itself (CPU starved, congested) than surrounded by dead peers; it raises its
// score and stretches its own probe interval and timeouts instead of accusing others.

export class Awareness {
  private value = 0;

  /** max is the largest multiplier; the score ranges over 0..max-1. */
  constructor(private readonly max: number) {}

  get score(): number {
    return this.value;
  }

  applyDelta(delta: number): void {
    this.value = Math.min(this.max - 1, Math.max(0, this.value + delta));
  }

  /** A healthy node (score 0) uses the configured value; each point adds one more. */
  scale(ms: number): number {
    return ms * (this.value + 1);
  }
}
