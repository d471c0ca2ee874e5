// The gossip core on a real network: one UDP socket and one TCP listener on the same
// port, the real clock, and the keyring. The core decides everything; this file only
// moves bytes and time. A packet we cannot open or parse is counted and dropped, and a
// peer that vanishes mid-stream costs us one closed socket, nothing more.

import dgram from 'node:dgram';
import net from 'node:net';
import { TsswarmError } from '../../shared/errors.js';
import { GossipCore } from './core/gossip.js';
import type { GossipStats, MemberEvent, MemberInfo, Send } from './core/gossip.js';
import type { GossipConfig } from './config.js';
import { MAX_TCP_PACKET } from './codec.js';
import { Keyring, SEAL_OVERHEAD } from './keyring.js';
import { FrameReader, formatHostPort, frame, parseHostPort } from './net.js';
import type { HostPort } from './net.js';

/** Driver settings; the protocol's own numbers live in config.ts. */
export const NODE_DEFAULTS = Object.freeze({
  // memberlist's TCPTimeout: a push-pull that has not gone through in 10 s is to a
  // peer that is gone or wedged; giving up frees the socket.
  tcpTimeoutMs: 10_000,
  // Push-pull is one message per connection and at most a few per second per peer;
  // more concurrent inbound streams than this means abuse, so the excess is refused.
  maxInboundStreams: 128,
  // A node leaving waits this long at most for its "left" broadcast to drain.
  leaveTimeoutMs: 3_000,
  // A 64-member burst of pings/acks/gossip fits easily; the default (~200 KiB) can
  // overflow when the event loop stalls for a moment.
  udpRecvBufferBytes: 4 << 20,
  // Binding port 0 picks a free TCP port, then UDP must get the same one: retry a few
  // times if someone else holds it on UDP.
  bindAttempts: 10,
});

// setTimeout stores its delay in 32 bits.
const MAX_TIMER_MS = 0x7fffffff;

export interface GossipNodeOptions {
  name: string;
  /** "host:port" to bind UDP and TCP; port 0 picks a free port. */
  bindAddr: string;
  /** Address other members reach us at; defaults to the bound one (required for 0.0.0.0). */
  advertiseAddr?: string;
  keyring?: Keyring;
  config?: Partial<GossipConfig>;
  log?: (msg: string) => void;
  onMember?: (event: MemberEvent) => void;
  onUser?: (origin: string, payload: Uint8Array) => void;
}

export interface GossipNodeStats extends GossipStats {
  /** Packets or frames no key in the ring authenticated. */
  droppedUnauthenticated: number;
  /** Packets that opened but did not decode, plus streams cut mid-frame. */
  droppedMalformed: number;
  /** Frames announced larger than any gossip message can be, and UDP packets over budget. */
  oversized: number;
  udpSent: number;
  udpReceived: number;
  tcpSent: number;
  tcpReceived: number;
  /** Sends that failed (unreachable peer, refused, timed out). */
  sendErrors: number;
  /** Callback exceptions, caught so that they cannot stop the node. */
  callbackErrors: number;
}

function now(): number {
  return performance.now();
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}

export class GossipNode {
  onMember: ((event: MemberEvent) => void) | undefined;
  onUser: ((origin: string, payload: Uint8Array) => void) | undefined;

  private readonly core: GossipCore;
  private readonly log: (msg: string) => void;
  private readonly streams = new Set<net.Socket>();
  private readonly maxFrame = MAX_TCP_PACKET + SEAL_OVERHEAD;
  private readonly counters = {
    droppedUnauthenticated: 0, droppedMalformed: 0, oversized: 0, udpSent: 0, udpReceived: 0, tcpSent: 0, tcpReceived: 0, sendErrors: 0, callbackErrors: 0,
  };
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private stopped = false;
  private flushing = false;

  private constructor(
    opts: GossipNodeOptions,
    readonly addr: string,
    private readonly udp: dgram.Socket,
    private readonly tcp: net.Server,
    private readonly keyring: Keyring | undefined,
  ) {
    this.log = opts.log ?? (() => {});
    this.onMember = opts.onMember;
    this.onUser = opts.onUser;
    this.core = new GossipCore({
      name: opts.name, addr, rand: Math.random, now: now(), config: opts.config, sealOverhead: keyring === undefined ? 0 : SEAL_OVERHEAD,
    });
    udp.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
    udp.on('error', (e) => this.log(`gossip: udp socket error: ${e.message}`));
    tcp.on('connection', (s) => this.onStream(s));
    tcp.on('error', (e) => this.log(`gossip: tcp listener error: ${e.message}`));
    this.flush();
  }

  static async start(opts: GossipNodeOptions): Promise<GossipNode> {
    const bind = parseHostPort(opts.bindAddr);
    const { udp, tcp, port } = await bindBoth(bind);
    let advertise: string;
    try {
      if (opts.advertiseAddr !== undefined) advertise = formatHostPort(parseHostPort(opts.advertiseAddr, port));
      else if (bind.host === '0.0.0.0' || bind.host === '::') {
        throw new TsswarmError('Invalid', `gossip bound to ${bind.host} needs an advertiseAddr that other members can reach`);
      } else advertise = formatHostPort({ host: bind.host, port });
      try {
        udp.setRecvBufferSize(NODE_DEFAULTS.udpRecvBufferBytes);
      } catch {
        // The kernel may cap it (net.core.rmem_max); the default still works.
      }
    } catch (e) {
      udp.close();
      tcp.close();
      throw e;
    }
    return new GossipNode(opts, advertise, udp, tcp, opts.keyring);
  }

  get name(): string {
    return this.core.name;
  }

  /**
   * Full state exchange with each seed. Resolves with how many seeds took our state;
   * fails with Unavailable when seeds were given and none could be reached.
   */
  async join(seeds: readonly string[]): Promise<number> {
    this.assertRunning();
    const addrs = seeds.map((s) => formatHostPort(parseHostPort(s)));
    this.flush();
    this.core.join(addrs);
    const sent = (await Promise.all(this.flush())).filter(Boolean).length;
    const others = addrs.filter((a) => a !== this.addr);
    if (others.length > 0 && sent === 0) {
      throw new TsswarmError('Unavailable', `no gossip seed answered (${others.join(', ')}); check that they run and that TCP/UDP ${others[0]} is reachable`);
    }
    return sent;
  }

  /** Sends application bytes to every other member once (at most maxUserPayload bytes). */
  broadcast(payload: Uint8Array): void {
    this.assertRunning();
    this.core.broadcastUser(payload);
    this.flush();
  }

  members(): MemberInfo[] {
    return this.core.members();
  }

  member(name: string): MemberInfo | undefined {
    return this.core.member(name);
  }

  stats(): GossipNodeStats {
    const c = this.core.stats;
    return { ...c, ...this.counters, droppedMalformed: this.counters.droppedMalformed + c.malformed };
  }

  /** Replaces the keys: keys[0] seals from now on, every key listed still opens. */
  setKeys(keys: readonly Uint8Array[]): void {
    if (this.keyring === undefined) {
      throw new TsswarmError('Invalid', 'this gossip node runs without encryption; restart it with a keyring to use keys');
    }
    new Keyring(keys); // validates count and sizes before anything changes
    const ring = this.keyring;
    ring.use(keys[0]!);
    for (const k of ring.keys()) if (!keys.some((w) => sameBytes(w, k))) ring.remove(k);
    for (const k of keys.slice(1)) ring.install(k);
  }

  /** Tells the cluster we leave and waits (bounded) for the news to go out; then stop(). */
  async leave(): Promise<void> {
    if (this.stopped) return;
    this.core.leave(now());
    this.flush();
    const until = now() + NODE_DEFAULTS.leaveTimeoutMs;
    while (!this.stopped && this.core.pendingBroadcasts > 0 && now() < until) await delay(50);
  }

  /** Closes every socket and timer; no leave message (a crash looks like this). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const s of this.streams) s.destroy();
    this.streams.clear();
    await Promise.all([
      new Promise<void>((r) => this.udp.close(() => r())),
      new Promise<void>((r) => this.tcp.close(() => r())),
    ]);
  }

  private assertRunning(): void {
    if (this.stopped) throw new TsswarmError('Stopped', `gossip node ${this.name} is stopped`);
  }

  // ---- the core's output ----

  /** Drains the core, then arms the timer. Returns the TCP sends' outcomes. */
  private flush(): Promise<boolean>[] {
    const tcp: Promise<boolean>[] = [];
    if (this.stopped || this.flushing) return tcp;
    this.flushing = true;
    try {
      // A callback may broadcast, which produces more output: loop until quiet.
      while (this.core.hasReady() && !this.stopped) {
        const r = this.core.ready();
        for (const s of r.sends) {
          if (s.transport === 'udp') this.sendUdp(s);
          else tcp.push(this.sendTcp(s));
        }
        for (const ev of r.events) this.call(() => this.onMember?.(ev));
        for (const u of r.user) this.call(() => this.onUser?.(u.origin, u.payload));
      }
    } finally {
      this.flushing = false;
    }
    this.arm();
    return tcp;
  }

  private call(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.counters.callbackErrors++;
      this.log(`gossip: callback threw: ${(e as Error).message}`);
    }
  }

  private arm(): void {
    if (this.stopped) return;
    const at = this.core.nextWake();
    if (this.timer !== undefined && at === this.timerAt) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    const wait = Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(at - now())));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      if (this.stopped) return;
      this.core.tick(now());
      this.flush();
    }, wait);
  }

  private seal(packet: Uint8Array): Uint8Array {
    return this.keyring === undefined ? packet : this.keyring.seal(packet);
  }

  private sendUdp(s: Send): void {
    let to: HostPort;
    try {
      to = parseHostPort(s.to);
    } catch {
      this.counters.sendErrors++;
      return;
    }
    const packet = this.seal(s.packet);
    if (packet.length > this.core.cfg.udpBufferSize) this.counters.oversized++; // a core bug; send anyway
    this.counters.udpSent++;
    try {
      this.udp.send(packet, to.port, to.host, (err) => {
        if (err) this.counters.sendErrors++;
      });
    } catch {
      // An address a peer told us may be unusable (port 0, say): that peer's problem, not ours.
      this.counters.sendErrors++;
    }
  }

  private sendTcp(s: Send): Promise<boolean> {
    let to: HostPort;
    try {
      to = parseHostPort(s.to);
    } catch {
      this.counters.sendErrors++;
      return Promise.resolve(false);
    }
    const data = frame(this.seal(s.packet));
    return new Promise<boolean>((resolve) => {
      let sock: net.Socket;
      try {
        sock = net.connect({ host: to.host, port: to.port });
      } catch {
        this.counters.sendErrors++;
        resolve(false);
        return;
      }
      this.streams.add(sock);
      let ok = false;
      sock.setNoDelay(true);
      sock.setTimeout(NODE_DEFAULTS.tcpTimeoutMs, () => sock.destroy(new Error('timed out')));
      sock.on('error', () => {}); // the close handler counts it
      sock.on('connect', () => {
        sock.end(data, () => {
          ok = true;
          this.counters.tcpSent++;
        });
      });
      sock.on('close', () => {
        this.streams.delete(sock);
        if (!ok) this.counters.sendErrors++;
        resolve(ok);
      });
    });
  }

  // ---- input ----

  private onDatagram(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.stopped) return;
    this.counters.udpReceived++;
    this.deliver(msg, formatHostPort({ host: rinfo.address, port: rinfo.port }), 'udp');
  }

  private deliver(sealed: Uint8Array, from: string, transport: 'udp' | 'tcp'): void {
    let plain: Uint8Array | undefined = sealed;
    if (this.keyring !== undefined) plain = this.keyring.open(sealed);
    if (plain === undefined) {
      this.counters.droppedUnauthenticated++;
      return;
    }
    try {
      this.core.receive(from, plain, now(), transport);
    } catch (e) {
      // The core counts what it cannot decode; anything thrown is a bug, not a reason to die.
      this.counters.droppedMalformed++;
      this.log(`gossip: packet from ${from} made the core throw: ${(e as Error).message}`);
    }
    this.flush();
  }

  private onStream(sock: net.Socket): void {
    if (this.stopped || this.streams.size >= NODE_DEFAULTS.maxInboundStreams) {
      sock.destroy();
      return;
    }
    this.streams.add(sock);
    const from = formatHostPort({ host: sock.remoteAddress ?? '?', port: sock.remotePort ?? 0 });
    const reader = new FrameReader(this.maxFrame);
    sock.setTimeout(NODE_DEFAULTS.tcpTimeoutMs, () => sock.destroy());
    sock.on('error', () => {}); // a peer that vanished: close follows
    sock.on('data', (chunk: Buffer) => {
      if (this.stopped) return;
      const frames = reader.push(chunk);
      if (frames === 'oversized') {
        this.counters.oversized++;
        sock.destroy();
        return;
      }
      for (const f of frames) {
        this.counters.tcpReceived++;
        this.deliver(f, from, 'tcp');
      }
    });
    sock.on('end', () => sock.end());
    sock.on('close', () => {
      this.streams.delete(sock);
      if (reader.pending > 0) this.counters.droppedMalformed++;
    });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function bindBoth(bind: HostPort): Promise<{ udp: dgram.Socket; tcp: net.Server; port: number }> {
  const attempts = bind.port === 0 ? NODE_DEFAULTS.bindAttempts : 1;
  let last: Error | undefined;
  for (let i = 0; i < attempts; i++) {
    const tcp = net.createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ host: bind.host, port: bind.port, exclusive: true }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      last = e as Error;
      continue;
    }
    const port = (tcp.address() as net.AddressInfo).port;
    const udp = dgram.createSocket({ type: bind.host.includes(':') ? 'udp6' : 'udp4' });
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind({ address: bind.host, port, exclusive: true }, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      return { udp, tcp, port };
    } catch (e) {
      last = e as Error;
      udp.close();
      await new Promise<void>((r) => tcp.close(() => r()));
    }
  }
  throw new TsswarmError('Unavailable', `cannot bind gossip UDP and TCP on ${formatHostPort(bind)}: ${last?.message ?? 'unknown error'}; choose a free port`);
}
