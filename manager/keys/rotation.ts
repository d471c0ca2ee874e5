// The gossip key's rotation, as Docker rotates its network keys: the leader makes a new
// key every period and keeps the newest three in Raft; nodes get them with every
// heartbeat. A new key is handed out as a secondary first and becomes the one nodes send
// with only once every node has had time to receive it, so nobody sends with a key
// another node does not hold yet. Keys are accepted by any key in the ring.
import { randomBytes } from 'node:crypto';
import type { ManagerContext } from '../context.js';

type RotatorContext = Pick<ManagerContext, 'store' | 'log'> & { raft: { isLeader(): boolean } };

export interface RotationConfig {
  /** How often a new key is made. Docker's default for its network keys: 12 h. */
  rotationMs: number;
}

/**
 * How old a key must be before nodes send with it: three heartbeat periods (15 s at the
 * default period), the time after which the dispatcher declares a silent node Down, so
 * every node still up has heard of the key by then.
 */
export const PROMOTE_AFTER_HEARTBEATS = 3;

export const GOSSIP_KEY_ROTATION_MS = 12 * 3600_000;

/** Docker keeps three: the current, the previous (nodes that have not switched), the next. */
export const KEYS_KEPT = 3;

/** How often the leader looks at the keys' age; rotations are hours apart, a minute is plenty. */
const CHECK_MS = 60_000;

export interface RingKey {
  key: Uint8Array;
  lamportTime: number;
  createdAtMs: number;
}

/**
 * The ring as a node gets it: the primary (the newest key old enough to be everywhere)
 * first, then the others newest first; at most KEYS_KEPT.
 */
export function ringOrder(keys: readonly RingKey[], nowMs: number, promoteAfterMs: number): Uint8Array[] {
  const newest = [...keys].sort((a, b) => b.lamportTime - a.lamportTime).slice(0, KEYS_KEPT);
  if (newest.length === 0) return [];
  // The only key there is (the one made at init) is the primary however young it is.
  const primary = newest.find((k) => nowMs - k.createdAtMs >= promoteAfterMs) ?? newest[newest.length - 1]!;
  return [primary.key, ...newest.filter((k) => k !== primary).map((k) => k.key)];
}

/** On the leader: a new gossip key when the newest is older than the period, and the oldest beyond three removed. */
export class KeyRotator {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly ctx: RotatorContext,
    private readonly cfg: RotationConfig,
    private readonly now: () => number = Date.now,
  ) {}

  setLeader(leader: boolean): void {
    if (leader && !this.timer) {
      // A quarter period at most, so a key is never more than a quarter period late.
      this.timer = setInterval(() => void this.tick(), Math.min(CHECK_MS, this.cfg.rotationMs / 4));
      this.timer.unref();
    } else if (!leader && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  stop(): void {
    this.setLeader(false);
  }

  /** One look at the keys; returns whether it made a new one. */
  async tick(): Promise<boolean> {
    if (this.busy || !this.ctx.raft.isLeader()) return false;
    this.busy = true;
    try {
      const { objects } = await this.ctx.store.list('keys', (k) => k.spec.subsystem === 'gossip');
      const sorted = [...objects].sort((a, b) => b.spec.lamportTime - a.spec.lamportTime);
      const newest = sorted[0];
      let made = false;
      if (newest && this.now() - Date.parse(newest.createdAt) >= this.cfg.rotationMs) {
        const r = await this.ctx.store.create('keys', {
          spec: { subsystem: 'gossip', algorithm: newest.spec.algorithm, key: randomBytes(32), lamportTime: newest.spec.lamportTime + 1 },
        });
        if (!r.ok) throw new Error(`making a new gossip key: ${r.error.message}`);
        sorted.unshift(r.object);
        made = true;
        this.ctx.log(`gossip key rotated (key ${r.object.spec.lamportTime}); nodes send with it after ${PROMOTE_AFTER_HEARTBEATS} heartbeat periods`);
      }
      for (const old of sorted.slice(KEYS_KEPT)) {
        const d = await this.ctx.store.delete('keys', old.id);
        if (!d.ok && d.error.code !== 'NotFound') throw new Error(`retiring gossip key ${old.spec.lamportTime}: ${d.error.message}`);
      }
      return made;
    } catch (e) {
      this.ctx.log(`keys: ${(e as Error).message}`);
      return false;
    } finally {
      this.busy = false;
    }
  }
}
