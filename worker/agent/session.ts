// A node's session with the managers (swarm's agent): a heartbeat to the leader every
// period, which keeps the node Ready, and whose answer carries the managers, the
// leader, and the role the cluster wants this node to have. The agent also carries
// the node's API calls to a manager when the node is not one itself.
import { ManagerClient, leaderAddrOf, type Identity } from '../../shared/control/client.js';
import type { ForwardRequest, ForwardResponse, HeartbeatRequest, HeartbeatResponse, Peer } from '../../shared/control/proto.js';
import { TsswarmError } from '../../shared/errors.js';

export interface SessionOptions {
  caPem: string;
  identity: () => Identity;
  managers: Peer[];
  request: () => HeartbeatRequest;
  /** Each successful heartbeat's answer; the daemon acts on roles and certificates. */
  onHeartbeat: (res: HeartbeatResponse) => void;
  /** The managers refused this node (e.g. it was removed); the session keeps trying unless stopped. */
  onRefused: (message: string) => void;
  log: (msg: string) => void;
}

/** Until the first answer tells us the cluster's period. */
const INITIAL_PERIOD_MS = 5_000;
/** After a failed heartbeat, try the next manager this soon. */
const RETRY_MS = 500;

export class Session {
  private managers: Peer[];
  private target: string | undefined;
  private client: ManagerClient | undefined;
  private clientFor = '';
  private clientCert = '';
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private periodMs = INITIAL_PERIOD_MS;
  private failures = 0;
  /** Resolves on the first successful heartbeat. */
  readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(private readonly o: SessionOptions) {
    this.managers = [...o.managers];
    this.target = this.managers[0]?.addr;
    this.ready = new Promise((r) => (this.markReady = r));
  }

  start(): void {
    void this.beat();
  }

  /** Heartbeat now (e.g. after a role change) instead of at the next period. */
  nudge(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    void this.beat();
  }

  knownManagers(): Peer[] {
    return [...this.managers];
  }

  private connect(addr: string): ManagerClient {
    const id = this.o.identity();
    if (this.client && this.clientFor === addr && this.clientCert === id.certPem) return this.client;
    this.client?.close();
    this.client = ManagerClient.pinned(addr, this.o.caPem, id);
    this.clientFor = addr;
    this.clientCert = id.certPem;
    return this.client;
  }

  private nextTarget(): void {
    const addrs = this.managers.map((m) => m.addr);
    if (addrs.length === 0) return;
    const i = this.target ? addrs.indexOf(this.target) : -1;
    this.target = addrs[(i + 1) % addrs.length];
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    let delay: number;
    const addr = this.target;
    try {
      if (!addr) throw new TsswarmError('Unavailable', 'no manager is known');
      const res = await this.connect(addr).call<HeartbeatRequest, HeartbeatResponse>('dispatcher', 'Heartbeat', this.o.request(), { deadlineMs: 5_000 });
      if (this.stopped) return;
      this.failures = 0;
      this.periodMs = res.periodMs || INITIAL_PERIOD_MS;
      delay = this.periodMs;
      if (res.managers.length > 0) this.managers = res.managers;
      this.markReady();
      this.o.onHeartbeat(res);
    } catch (e) {
      if (this.stopped) return;
      const leader = leaderAddrOf(e);
      if (leader && leader !== addr) {
        this.target = leader;
        delay = 0;
      } else {
        if (this.failures++ % 10 === 0) this.o.log(`session: heartbeat to ${addr ?? '(none)'} failed: ${(e as Error).message}`);
        this.nextTarget();
        delay = RETRY_MS;
      }
      if ((e as TsswarmError).code === 'Refused') {
        if (this.failures % 10 === 1) this.o.log(`session: refused by the managers: ${(e as Error).message}`);
        this.o.onRefused((e as Error).message);
        delay = this.periodMs;
      }
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.beat(), delay);
  }

  /**
   * Carries an API call to a manager: the leader first (the one this session talks to),
   * then the others, so a call succeeds whenever any manager can serve it.
   */
  async forward(req: ForwardRequest): Promise<ForwardResponse> {
    const order = [this.target, ...this.managers.map((m) => m.addr)].filter((a, i, all): a is string => !!a && all.indexOf(a) === i);
    let last: unknown = new TsswarmError('Unavailable', 'no manager is known to this node');
    for (const addr of order) {
      try {
        const client = addr === this.target ? this.connect(addr) : ManagerClient.pinned(addr, this.o.caPem, this.o.identity());
        try {
          // A worker's call carries its deadline, so a late arrival is not executed (see control.proto).
          return await client.call<ForwardRequest, ForwardResponse>('control', 'Forward', { ...req, deadlineUnixMs: Date.now() + 30_000 }, { deadlineMs: 30_000 });
        } finally {
          if (client !== this.client) client.close();
        }
      } catch (e) {
        last = e;
        // Only a manager we cannot reach is worth skipping; an answer (even an error) stands.
        if ((e as TsswarmError).code !== 'Unavailable') throw e;
      }
    }
    throw last;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.client?.close();
    this.client = undefined;
  }
}
