// What a leader knows about one follower's log, and how it is allowed to send to it.
//   Probe:     match unknown; one App at a time, paused until an answer (or a heartbeat answer).
//   Replicate: match known; Apps are pipelined up to the Inflights window.
//   Snapshot:  the follower needs a snapshot; no Apps until it reports having installed one.

import { ProgressState } from './types.js';
import type { ProgressStatus } from './types.js';
import { Inflights } from './inflights.js';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = ProgressState.Probe;
  /** Index of the snapshot being sent while in Snapshot state. */
  pendingSnapshot = 0;
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  /** Probe state: a probe is outstanding. */
  probeSent = false;
  /** Replicate state: match when the previous heartbeat answer arrived (-1: none yet), to spot a stalled pipeline. */
  matchAtHeartbeat = -1;
  readonly inflights: Inflights;
  learner: boolean;

  constructor(next: number, maxInflightMsgs: number, maxInflightBytes: number, learner: boolean) {
    this.next = next;
    this.inflights = new Inflights(maxInflightMsgs, maxInflightBytes);
    this.learner = learner;
  }

  private resetState(state: ProgressState): void {
    this.probeSent = false;
    this.matchAtHeartbeat = -1;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot the follower holds at least the snapshot, so probe from just past it.
    const from = this.state === ProgressState.Snapshot ? Math.max(this.match + 1, this.pendingSnapshot + 1) : this.match + 1;
    this.resetState(ProgressState.Probe);
    this.next = from;
  }

  becomeReplicate(): void {
    this.resetState(ProgressState.Replicate);
    this.next = this.match + 1;
  }

  becomeSnapshot(snapIndex: number): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapIndex;
  }

  /** An App carrying `entries` entries (`bytes` of payload) ending at `lastIndex` was sent. */
  sentEntries(entries: number, bytes: number, lastIndex: number): void {
    if (this.state === ProgressState.Replicate) {
      if (entries > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex, bytes);
      }
    } else if (this.state === ProgressState.Probe) {
      // Every App in Probe is a probe, empty or not.
      this.probeSent = true;
    }
  }

  /** The follower acknowledged `n`; false when that told us nothing new. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * The follower rejected an App whose previous index was `rejected`, hinting that its
   * log may match ours at `matchHint`. False when the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.state === ProgressState.Snapshot) return false;
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.probeSent;
      case ProgressState.Replicate:
        return this.inflights.full();
      case ProgressState.Snapshot:
        return true;
    }
  }

  toStatus(): ProgressStatus {
    return {
      match: this.match,
      next: this.next,
      state: this.state,
      learner: this.learner,
      recentActive: this.recentActive,
      inflight: this.inflights.count(),
    };
  }
}
