// The node's data plane: gossip on 7946 carries the netdb tables of the networks this
// node has endpoints on; each change to `overlay_peer` reprograms the kernel's FDB and
// neighbour entries of that network's sandbox, so containers on other hosts are one
// bridge hop and one VXLAN hop away. Local endpoints are published here, and a member
// that fails or leaves takes its entries with it.
import { createHash } from 'node:crypto';
import { GossipNode, type GossipNodeStats } from '../worker/gossip/node.js';
import { Keyring } from '../worker/gossip/keyring.js';
import type { MemberEvent } from '../worker/gossip/index.js';
import { NetDb, decodeEvent, encodeEvent, type TableEvent, type TableValues } from '../worker/netdb/index.js';
import { reconcilePeers, type Peer } from '../worker/overlay/peers.js';
import { sandboxName } from '../worker/overlay/names.js';

/** Docker's gossip port. */
export const GOSSIP_PORT = 7946;

// User-broadcast kinds on the gossip layer.
const KIND_EVENT = 1;
/** "I just joined network N": members of N answer by publishing their entries again. */
const KIND_SYNC = 2;
/**
 * Anti-entropy: every node republishes its own entries this often, so an event lost in
 * gossip (a broadcast is retransmitted only a few times) is repaired within one period,
 * as Docker's networkdb does with its periodic bulk sync (30 s there; entries here are
 * few, so sooner).
 */
const REPUBLISH_MS = 10_000;
/**
 * A (re)started daemon waits this long after joining
 * before it makes the kernel match its tables: its tables start empty and fill from the
 * others' answers to its sync requests within a few gossip rounds (well under a second),
 * and reconciling against an empty table would wipe FDB entries that still carry the
 * containers' traffic. Stale entries are removed at the end of it.
 */
const SETTLE_MS = 2_000;

/** A key's name in logs: a digest prefix, never the key. */
function keyId(key: Uint8Array): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export interface LocalEndpoint {
  id: string;
  networkId: string;
  vni: number;
  ip: string;
  mac: string;
  name: string;
  aliases: string[];
}

export class DataPlane {
  private gossip: GossipNode | undefined;
  private starting: Promise<void> | undefined;
  private readonly netdb: NetDb;
  private keys: Uint8Array[] = [];
  private readonly vnis = new Map<string, number>();
  private readonly local = new Map<string, LocalEndpoint>();
  private readonly dirty = new Set<string>();
  private programming = false;
  /** False from the start of gossip until SETTLE_MS after joining. */
  private settled = true;
  private settler: NodeJS.Timeout | undefined;
  private republisher: NodeJS.Timeout | undefined;

  constructor(private readonly o: {
    nodeId: string; vtep: string; netnsPrefix: string; log: (msg: string) => void; port?: number;
    /** The dns table of a network changed (containers' embedded DNS reload). */
    onDnsChange?: (network: string) => void;
  }) {
    // A new incarnation per start, so entries from before a restart cannot come back.
    this.netdb = new NetDb({ nodeId: o.nodeId, incarnation: Date.now() });
    this.netdb.onChange((table, network) => {
      if (table === 'overlay_peer') this.reprogram(network);
      else if (table === 'dns') this.o.onDnsChange?.(network);
    });
  }

  /** Keys (primary first) and the managers to join through, from the session with the leader. */
  update(keys: Uint8Array[], seeds: string[]): void {
    if (keys.length === 0) return;
    const changed = keys.length !== this.keys.length || keys.some((k, i) => !Buffer.from(k).equals(Buffer.from(this.keys[i] ?? [])));
    this.keys = keys;
    if (this.gossip) {
      if (changed) {
        this.gossip.setKeys(keys);
        this.o.log(`data plane: gossip keyring now ${keys.length} key(s), sending with ${keyId(keys[0]!)}`);
      }
      return;
    }
    if (this.starting) return;
    this.starting = this.start(seeds).catch((e: unknown) => {
      this.o.log(`data plane: gossip did not start: ${(e as Error).message}`);
      this.starting = undefined;
    });
  }

  private async start(seeds: string[]): Promise<void> {
    const port = this.o.port ?? GOSSIP_PORT;
    // Also without endpoints yet: a restarted daemon may still be plugging its adopted containers in.
    this.settled = false;
    this.gossip = await GossipNode.start({
      name: this.o.nodeId,
      bindAddr: `${this.o.vtep}:${port}`,
      keyring: new Keyring(this.keys, { label: 'tsswarm-gossip' }),
      log: this.o.log,
      onMember: (ev) => this.onMember(ev),
      onUser: (_origin, payload) => this.onUser(payload),
    });
    const others = seeds.map((s) => `${s.split(':')[0]}:${port}`).filter((s) => s !== `${this.o.vtep}:${port}`);
    if (others.length > 0) await this.gossip.join(others).catch((e: unknown) => this.o.log(`data plane: join: ${(e as Error).message}`));
    this.o.log(`data plane: gossip on ${this.o.vtep}:${port}, ${this.gossip.members().length} member(s)`);
    // Endpoints made before gossip was up are published now, and again every period.
    for (const network of this.netdb.networks()) this.sendSync(network);
    const republish = (): void => {
      for (const ev of this.netdb.republish(Date.now())) this.send(ev);
      this.netdb.reap(Date.now());
    };
    republish();
    this.republisher = setInterval(republish, REPUBLISH_MS);
    if (!this.settled) {
      this.settler = setTimeout(() => {
        this.settled = true;
        for (const network of this.vnis.keys()) this.reprogram(network);
      }, SETTLE_MS);
    }
  }

  private onMember(ev: MemberEvent): void {
    if (ev.type === 'failed' || ev.type === 'left') {
      this.o.log(`data plane: ${ev.member.name} ${ev.type}; dropping its endpoints`);
      this.netdb.nodeLeft(ev.member.name, Date.now());
    } else if (ev.type === 'joined') {
      // Back after a partition (or a restart): it takes our entries again, and we its. It
      // dropped ours when it saw us fail, so ours go out with fresh clocks, and the sync
      // asks it for its own rather than waiting for its next republish.
      this.netdb.nodeBack(ev.member.name, Date.now());
      if (this.gossip) {
        for (const e of this.netdb.republish(Date.now())) this.send(e);
        for (const network of this.netdb.networks()) this.sendSync(network);
      }
    }
  }

  private onUser(payload: Uint8Array): void {
    try {
      if (payload[0] === KIND_EVENT) {
        this.netdb.apply(decodeEvent(Buffer.from(payload.subarray(1))), Date.now());
      } else if (payload[0] === KIND_SYNC) {
        const network = Buffer.from(payload.subarray(1)).toString('utf8');
        if (this.netdb.isMember(network)) {
          for (const ev of this.netdb.republish(Date.now())) if (ev.network === network) this.send(ev);
        }
      }
    } catch (e) {
      this.o.log(`data plane: dropped a table event: ${(e as Error).message}`);
    }
  }

  private send(ev: TableEvent): void {
    const body = encodeEvent(ev);
    this.gossip?.broadcast(Buffer.concat([Buffer.from([KIND_EVENT]), body]));
  }

  private sendSync(network: string): void {
    this.gossip?.broadcast(Buffer.concat([Buffer.from([KIND_SYNC]), Buffer.from(network)]));
  }

  /** A container's endpoint on this node: its sandbox exists; publish it and program the peers we know. */
  addEndpoint(ep: LocalEndpoint): void {
    this.vnis.set(ep.networkId, ep.vni);
    this.local.set(ep.id, ep);
    const now = Date.now();
    const fresh = this.netdb.joinNetwork(ep.networkId);
    // Adding what is there already (an adopted container plugged in again) writes it again.
    const put = <T extends 'overlay_peer' | 'dns'>(table: T, value: TableValues[T]): TableEvent =>
      this.netdb.get(table, ep.networkId, ep.id) === undefined
        ? this.netdb.create(table, ep.networkId, ep.id, value, now)
        : this.netdb.update(table, ep.networkId, ep.id, value, now);
    this.send(put('overlay_peer', { ip: ep.ip, mac: ep.mac, vtep: this.o.vtep }));
    this.send(put('dns', { name: ep.name, aliases: ep.aliases, ip: ep.ip }));
    if (fresh) this.sendSync(ep.networkId);
    this.reprogram(ep.networkId);
  }

  removeEndpoint(id: string): void {
    const ep = this.local.get(id);
    if (!ep) return;
    this.local.delete(id);
    const now = Date.now();
    for (const table of ['overlay_peer', 'dns'] as const) {
      if (this.netdb.get(table, ep.networkId, id) !== undefined) this.send(this.netdb.delete(table, ep.networkId, id, now));
    }
    if (![...this.local.values()].some((e) => e.networkId === ep.networkId)) {
      for (const ev of this.netdb.leaveNetwork(ep.networkId)) this.send(ev);
      this.vnis.delete(ep.networkId);
    }
  }

  /** Names the embedded DNS can answer on a network (name and aliases → IPv4). */
  dnsEntries(networkId: string): { name: string; aliases: string[]; ip: string }[] {
    return this.netdb.entries('dns', networkId).filter((e) => !e.deleted && e.value).map((e) => e.value as { name: string; aliases: string[]; ip: string });
  }

  /** Coalesces table changes: one kernel reconcile per network at a time, with the latest state. */
  private reprogram(network: string): void {
    if (!this.vnis.has(network)) return;
    this.dirty.add(network);
    if (this.programming || !this.settled) return;
    this.programming = true;
    void (async () => {
      try {
        while (this.dirty.size > 0) {
          const [net] = this.dirty;
          this.dirty.delete(net!);
          const vni = this.vnis.get(net!);
          if (vni === undefined) continue;
          const desired: Peer[] = this.netdb.entries('overlay_peer', net!)
            .filter((e) => !e.deleted && e.value && e.owner !== this.o.nodeId)
            .map((e) => e.value as Peer)
            .filter((p) => p.vtep !== this.o.vtep);
          try {
            await reconcilePeers(sandboxName(this.o.netnsPrefix, vni), desired);
          } catch (e) {
            this.o.log(`data plane: programming network ${net} failed: ${(e as Error).message}`);
          }
        }
      } finally {
        this.programming = false;
      }
    })();
  }

  stats(): GossipNodeStats | undefined {
    return this.gossip?.stats();
  }

  async stop(): Promise<void> {
    await this.starting;
    if (this.republisher) clearInterval(this.republisher);
    if (this.settler) clearTimeout(this.settler);
    await this.gossip?.stop();
    this.gossip = undefined;
  }
}
