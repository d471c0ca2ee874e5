// Requests that arrive while one commit is in flight leave together in the next one: the
// allocators (networks, endpoints) decide a whole batch in one pass and commit it in one
// transaction, so throughput grows with concurrency instead of costing a Raft round each.
export class Batcher<W> {
  private waiting: W[] = [];
  private pumping = false;

  /** `one` serves a lone request (the path with retries); `many` a batch of two or more. */
  constructor(
    private readonly max: number,
    private readonly one: (w: W) => Promise<void>,
    private readonly many: (batch: W[]) => Promise<void>,
  ) {}

  add(w: W): void {
    this.waiting.push(w);
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.max);
        await (batch.length === 1 ? this.one(batch[0]!) : this.many(batch));
      }
    } finally {
      this.pumping = false;
    }
  }
}
