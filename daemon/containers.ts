// The node's containers (`tsswarm run|ps|exec|logs|stop|rm`, `network connect|disconnect`):
// a container is a process in its own namespaces (worker/runtime), plugged into the
// sandbox of each network it is on (worker/overlay), with the address the managers
// allocated for it there (an endpoint).
//
// Each container's record is kept on disk (DATA/containers/ID/config.json), so a daemon
// that crashed and restarts adopts the containers still running, plugs them in again,
// publishes their endpoints again, and removes whatever else it finds with its prefix:
// namespaces of dead containers, sandboxes no endpoint needs, veths nobody owns.
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Container, processStartTime, type ContainerState, type ProcessId } from '../worker/runtime/container.js';
import { attachEndpoint, detachEndpoint } from '../worker/overlay/endpoints.js';
import { createSandbox, listSandboxes, removeOrphans, removeSandbox, type Sandbox } from '../worker/overlay/sandbox.js';
import { linkNames, listNetns, tryIp } from '../worker/overlay/iproute.js';
import { attachGateway, detachGateway, ensureGateway, gatewayVethName, gatewayVeths, type Gateway } from '../worker/overlay/gateway.js';
import { formatIPv4, parseIPv4 } from '../shared/net/cidr.js';
import { sandboxName, vethName } from '../worker/overlay/names.js';
import type { ForwardRequest, ForwardResponse } from '../shared/control/proto.js';
import { TsswarmError, type ErrorCode } from '../shared/errors.js';
import type { LocalEndpoint } from './dataplane.js';
import type { EndpointView } from '../manager/endpoints/view.js';

export interface NetworkAttachRequest {
  /** Network name, id or unique id prefix. */
  Target: string;
  IPv4Address?: string;
  Aliases?: string[];
}

export interface RunRequest {
  Name?: string;
  Hostname?: string;
  Cmd: string[];
  Env?: string[];
  /** Networks by name or id, with an optional fixed address and aliases each. */
  Networks: NetworkAttachRequest[];
}

/** An endpoint as the managers answer for it (manager/api/routes/endpoints.ts), plus where it sits in the container. */
interface Attachment extends EndpointView {
  /** eth0, eth1…: the container's interface on this network. */
  Link: string;
}

export interface ContainerView {
  Id: string;
  Name: string;
  Hostname: string;
  Cmd: string[];
  State: 'running' | 'exited';
  ExitCode: number | null;
  Created: string;
  FinishedAt: string | null;
  Pid: number;
  /** Its way out (Docker's docker_gwbridge endpoint), while it is on a non-internal network. */
  Gateway: { IPAddress: string; Interface: string } | null;
  Networks: { Name: string; NetworkID: string; EndpointID: string; IPAddress: string; MacAddress: string; Gateway: string; Aliases: string[]; Interface: string }[];
}

/** What survives a daemon restart, one file per container. */
interface ContainerRecord {
  id: string;
  name: string;
  hostname: string;
  cmd: string[];
  env: Record<string, string>;
  created: string;
  netns: string;
  /** Endpoints the container holds now (none once it has exited and they were released). */
  endpoints: Attachment[];
  /** Its way out (the gateway bridge), while it is on a non-internal network. */
  gateway?: { address: string; link: string };
  /** Endpoints to delete at the managers, which could not be reached when the container let them go. */
  unreleased: { networkId: string; endpointId: string }[];
  proc?: ProcessId;
  dnsProc?: ProcessId;
  exitCode: number | null;
  finishedAt: string | null;
}

interface Held {
  rec: ContainerRecord;
  container: Container;
  /** Operations on one container (connect, disconnect, exit, rm) run one at a time. */
  chain: Promise<unknown>;
}

export interface ContainerHost {
  nodeId(): string | undefined;
  /** The address VXLAN peers reach this host at. */
  vtep(): string | undefined;
  dataPathPort(): number;
  clusterCall(req: ForwardRequest): Promise<ForwardResponse>;
  log(msg: string): void;
  /** The data plane publishes the endpoint to the other nodes and programs their peers here. */
  endpointAdded(ep: LocalEndpoint): void;
  endpointRemoved(id: string): void;
  /** Names on a network as the gossiped dns table has them (this node's own included once published). */
  dnsRecords(networkId: string): { name: string; aliases: string[]; ip: string }[];
}

/** The in-container DNS process (worker/dns/container-dns.ts), run inside each container's namespace. */
const CONTAINER_DNS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../worker/dns/container-dns.js');

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

/** Endpoints the managers could not be told about are retried this often (a manager election takes about a second). */
const RELEASE_RETRY_MS = 5_000;

/** On daemon shutdown, containers get this long to stop before they are killed. */
const SHUTDOWN_GRACE_MS = 2_000;

const ipOf = (e: { IPAddress: string }): string => e.IPAddress.split('/')[0]!;

export class Containers {
  private readonly byId = new Map<string, Held>();
  /** Sandbox work per VNI runs one at a time: two containers arriving together must not both build it. */
  private readonly vniLocks = new Map<number, Promise<unknown>>();
  private writes = 0;
  private retrier: NodeJS.Timeout | undefined;
  /** Sandboxes built by this daemon, by VNI. */
  private readonly sandboxes = new Map<number, Sandbox>();
  /** The gateway bridge and its rules, made once per daemon life (again if an attachment fails). */
  private gatewayReady: Promise<Gateway> | undefined;

  constructor(
    private readonly host: ContainerHost,
    private readonly o: { dataDir: string; netnsPrefix: string; dnsRelaySocket?: string },
  ) {}

  private get dir(): string {
    return path.join(this.o.dataDir, 'containers');
  }

  private async api<T>(method: string, url: string, body?: unknown): Promise<T> {
    const res = await this.host.clusterCall({
      method, url, body: body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body)),
      contentType: body === undefined ? '' : 'application/json',
    });
    const text = res.body.toString('utf8');
    if (res.status >= 400) {
      const message = (() => { try { return (JSON.parse(text) as { message?: string }).message ?? text; } catch { return text; } })();
      const code: ErrorCode = res.status === 404 ? 'NotFound' : res.status === 409 ? 'Conflict' : res.status === 403 ? 'Refused' : res.status === 400 ? 'Invalid' : 'Unavailable';
      throw new TsswarmError(code, message);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private withVni<T>(vni: number, fn: () => Promise<T>): Promise<T> {
    const prev = this.vniLocks.get(vni) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.vniLocks.set(vni, tail);
    void tail.then(() => { if (this.vniLocks.get(vni) === tail) this.vniLocks.delete(vni); });
    return next;
  }

  private serial<T>(h: Held, fn: () => Promise<T>): Promise<T> {
    const next = h.chain.then(fn, fn);
    h.chain = next.catch(() => undefined);
    return next;
  }

  find(ref: string): Held {
    const exact = this.byId.get(ref) ?? [...this.byId.values()].find((h) => h.rec.name === ref);
    if (exact) return exact;
    const prefixed = [...this.byId.values()].filter((h) => h.rec.id.startsWith(ref));
    if (prefixed.length === 1) return prefixed[0]!;
    throw new TsswarmError('NotFound', prefixed.length > 1 ? `container ${ref} is ambiguous` : `No such container: ${ref}`);
  }

  private async save(rec: ContainerRecord): Promise<void> {
    const file = path.join(this.dir, rec.id, 'config.json');
    const tmp = `${file}.${++this.writes}.tmp`;
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(tmp, JSON.stringify(rec, null, 1));
    await rename(tmp, file);
  }

  private paths(id: string): { logFile: string; dnsFile: string } {
    return { logFile: path.join(this.dir, id, 'log'), dnsFile: path.join(this.dir, id, 'dns.json') };
  }

  async run(req: RunRequest): Promise<ContainerView> {
    const nodeId = this.host.nodeId();
    const vtep = this.host.vtep();
    if (!nodeId || !vtep) throw new TsswarmError('Refused', 'this node is not part of a swarm; containers need its overlay networks');
    if (!Array.isArray(req.Cmd) || req.Cmd.length === 0) throw new TsswarmError('Invalid', 'a container needs a command (tsswarm run ... -- CMD)');
    const nets = req.Networks ?? [];
    if (nets.length === 0) throw new TsswarmError('Invalid', 'a container needs a network (--network NAME)');
    const id = randomBytes(32).toString('hex');
    const name = req.Name || `c-${id.slice(0, 8)}`;
    if (!NAME.test(name)) throw new TsswarmError('Invalid', `invalid container name "${name}": letters, digits, _ . - (up to 63)`);
    if ([...this.byId.values()].some((h) => h.rec.name === name)) throw new TsswarmError('Conflict', `the container name "${name}" is already in use on this node`);
    const hostname = req.Hostname || name;
    if (!NAME.test(hostname)) throw new TsswarmError('Invalid', `invalid hostname "${hostname}"`);
    const env = Object.fromEntries((req.Env ?? []).map((kv) => [kv.split('=')[0]!, kv.slice(kv.indexOf('=') + 1)]));
    const rec: ContainerRecord = {
      id, name, hostname, cmd: req.Cmd, env, created: new Date().toISOString(), netns: `${this.o.netnsPrefix}c${id.slice(0, 12)}`,
      endpoints: [], unreleased: [], exitCode: null, finishedAt: null,
    };
    const allocated: Attachment[] = [];
    let held: Held | undefined;
    // Where a run's time goes, for the log: a slow `run` is otherwise a mystery.
    const t0 = Date.now();
    const marks: string[] = [];
    const mark = (what: string): void => { marks.push(`${what} ${Date.now() - t0}`); };
    try {
      for (const [i, n] of nets.entries()) allocated.push({ ...(await this.allocate(rec, n)), Link: `eth${i}` });
      mark('allocated');
      const container = await Container.start({
        netns: rec.netns, hostname, hosts: hostsFile(rec.hostname, allocated), cmd: req.Cmd, env, logFile: this.paths(id).logFile,
        // The embedded DNS (127.0.0.11) answers from the gossiped dns table.
        resolvConf: 'nameserver 127.0.0.11\noptions ndots:0\n',
      });
      mark('started');
      const h: Held = { rec, container, chain: Promise.resolve() };
      held = h;
      rec.proc = container.processId();
      this.byId.set(id, h);
      // Registered before plugging: a command that ends at once must still release what it got.
      container.onExit((st) => void this.serial(h, () => this.exited(h, st)));
      await this.serial(h, async () => {
        if (container.status().status !== 'running') {
          for (const a of allocated.splice(0)) await this.release(rec, a);
          return;
        }
        for (const e of allocated) {
          await this.plug(rec, e);
          rec.endpoints.push(e);
        }
        mark('plugged');
        await this.syncGateway(rec);
        await this.startDns(h);
        await this.save(rec);
        mark('done');
      });
      this.host.log(`container ${rec.name}: running (ms: ${marks.join(', ')})`);
      return this.view(h);
    } catch (e) {
      this.byId.delete(id);
      await held?.container.remove().catch(() => undefined);
      this.killDns(rec);
      rec.endpoints = [];
      for (const a of allocated) await this.release(rec, a);
      await this.syncGateway(rec).catch(() => undefined);
      await rm(path.join(this.dir, id), { recursive: true, force: true }).catch(() => undefined);
      throw e;
    }
  }

  /** Asks the managers for an address on a network (attachable, not encrypted). */
  private async allocate(rec: ContainerRecord, n: NetworkAttachRequest): Promise<EndpointView> {
    const net = await this.api<{ Options?: Record<string, string> }>('GET', `/networks/${encodeURIComponent(n.Target)}`);
    // Honest until the sealed data path exists: never carry an encrypted network's traffic in the clear.
    if (net.Options && 'encrypted' in net.Options) {
      throw new TsswarmError('Refused', `network ${n.Target} is encrypted, and this version cannot encrypt the data path yet; containers are refused rather than sent in the clear`);
    }
    return this.api<EndpointView>('POST', `/networks/${encodeURIComponent(n.Target)}/endpoints`, {
      ContainerName: rec.name, ContainerID: rec.id, NodeID: this.host.nodeId(), Aliases: n.Aliases ?? [],
      ...(n.IPv4Address ? { IPv4Address: n.IPv4Address } : {}),
    });
  }

  /** Builds the network's sandbox if needed, plugs the container in, and publishes the endpoint. */
  private async plug(rec: ContainerRecord, e: Attachment): Promise<void> {
    const vtep = this.host.vtep();
    if (!vtep) throw new TsswarmError('Refused', 'this node has no data path address');
    await this.withVni(e.VNI, async () => {
      const build = (): Promise<Sandbox> => createSandbox(
        { vni: e.VNI, subnet: e.Subnet, gateway: e.Gateway, mtu: e.MTU, dataPathPort: this.host.dataPathPort(), internal: e.Internal },
        { prefix: this.o.netnsPrefix, vtep },
      );
      // The default route goes through the gateway bridge (syncGateway), never an overlay, as in Docker.
      const attach = (sb: Sandbox): Promise<void> => attachEndpoint(sb, { ip: ipOf(e), mac: e.MacAddress, netns: rec.netns, link: e.Link, defaultRoute: false });
      // A sandbox this daemon built is trusted without asking the kernel again, unless attaching to it fails.
      const known = this.sandboxes.get(e.VNI);
      if (known) {
        try {
          await attach(known);
          return;
        } catch {
          this.sandboxes.delete(e.VNI);
        }
      }
      const sb = await build();
      this.sandboxes.set(e.VNI, sb);
      await attach(sb);
    });
    this.host.endpointAdded({ id: e.ID, networkId: e.NetworkID, vni: e.VNI, ip: ipOf(e), mac: e.MacAddress, name: rec.name, aliases: e.Aliases });
  }

  /** Unplugs an endpoint here, takes its entries back from the other nodes, and gives the address back to the managers. */
  private async release(rec: ContainerRecord, e: Attachment): Promise<void> {
    this.host.endpointRemoved(e.ID);
    await this.withVni(e.VNI, async () => {
      const sandbox = sandboxName(this.o.netnsPrefix, e.VNI);
      await detachEndpoint({ name: sandbox }, ipOf(e)).catch(() => undefined);
      // The last endpoint of a network on this host takes the sandbox (and its vxlan device) with it.
      if (!this.localEndpoints().some((x) => x.vni === e.VNI && x.id !== e.ID)) {
        this.sandboxes.delete(e.VNI);
        await removeSandbox(this.o.netnsPrefix, e.VNI);
      }
    }).catch((err: unknown) => this.host.log(`container ${rec.name}: unplugging from ${e.NetworkName}: ${(err as Error).message}`));
    await this.deleteAtManagers(rec, { networkId: e.NetworkID, endpointId: e.ID });
  }

  private async deleteAtManagers(rec: ContainerRecord, u: { networkId: string; endpointId: string }): Promise<boolean> {
    try {
      await this.api('DELETE', `/networks/${u.networkId}/endpoints/${u.endpointId}`);
    } catch (err) {
      // Gone already (the network was force-removed, or an earlier try got through): released.
      if ((err as TsswarmError).code !== 'NotFound') {
        this.host.log(`container ${rec.name}: could not release endpoint ${u.endpointId} yet: ${(err as Error).message}`);
        if (!rec.unreleased.some((x) => x.endpointId === u.endpointId)) rec.unreleased.push(u);
        this.scheduleRetry();
        return false;
      }
    }
    rec.unreleased = rec.unreleased.filter((x) => x.endpointId !== u.endpointId);
    return true;
  }

  private scheduleRetry(): void {
    if (this.retrier) return;
    this.retrier = setTimeout(() => {
      this.retrier = undefined;
      void this.retryReleases();
    }, RELEASE_RETRY_MS);
    this.retrier.unref();
  }

  private async retryReleases(): Promise<void> {
    for (const h of this.byId.values()) {
      if (h.rec.unreleased.length === 0) continue;
      await this.serial(h, async () => {
        for (const u of [...h.rec.unreleased]) await this.deleteAtManagers(h.rec, u);
        await this.save(h.rec).catch(() => undefined);
      });
    }
  }

  /** The container's process ended: its endpoints go, its record says how it ended. */
  private async exited(h: Held, st: ContainerState): Promise<void> {
    this.killDns(h.rec);
    h.rec.exitCode = st.status === 'exited' ? st.exitCode : null;
    h.rec.finishedAt = new Date().toISOString();
    h.rec.proc = undefined;
    const eps = h.rec.endpoints;
    h.rec.endpoints = [];
    for (const e of eps) await this.release(h.rec, e);
    await this.syncGateway(h.rec).catch((e: unknown) => this.host.log(`container ${h.rec.name}: gateway: ${(e as Error).message}`));
    await this.save(h.rec).catch((e: unknown) => this.host.log(`container ${h.rec.name}: saving its record: ${(e as Error).message}`));
  }

  // ------------------------------------------------------------------ gateway

  /**
   * A container on at least one non-internal network has a way out through the host's
   * gateway bridge; one on internal networks only (or none, once exited) has none.
   */
  private async syncGateway(rec: ContainerRecord): Promise<void> {
    const wants = rec.endpoints.some((e) => !e.Internal) && rec.proc !== undefined;
    if (!wants) {
      if (rec.gateway) await detachGateway(rec.gateway.address);
      rec.gateway = undefined;
      return;
    }
    this.gatewayReady ??= ensureGateway();
    const gw = await this.gatewayReady.catch((e: unknown) => {
      this.gatewayReady = undefined;
      throw e;
    });
    if (!rec.gateway) {
      const used = new Set([...this.byId.values()].flatMap((h) => (h.rec.gateway ? [h.rec.gateway.address] : [])));
      const net = parseIPv4(gw.subnet.split('/')[0]!);
      const size = 2 ** (32 - gw.prefixLen);
      let address: string | undefined;
      // From the address after the bridge's, up to the one before the broadcast address.
      for (let i = 2; i < size - 1 && address === undefined; i++) {
        const a = formatIPv4((net + i) >>> 0);
        if (!used.has(a)) address = a;
      }
      if (!address) throw new TsswarmError('Unavailable', `the gateway subnet ${gw.subnet} has no free address on this host`);
      const links = new Set(rec.endpoints.map((e) => e.Link));
      let i = 0;
      while (links.has(`eth${i}`)) i++;
      rec.gateway = { address, link: `eth${i}` };
    }
    try {
      await attachGateway(rec.netns, rec.gateway.link, rec.gateway.address, gw);
    } catch {
      // The bridge may have been removed under us: make it again, and try once more.
      this.gatewayReady = ensureGateway();
      await attachGateway(rec.netns, rec.gateway.link, rec.gateway.address, await this.gatewayReady);
    }
  }

  // ------------------------------------------------------------------ DNS

  /** Starts the container's embedded DNS in its own session, so it too outlives a daemon crash. */
  private async startDns(h: Held): Promise<void> {
    await this.writeDns(h.rec);
    const args = ['netns', 'exec', h.rec.netns, process.execPath, CONTAINER_DNS, this.paths(h.rec.id).dnsFile];
    if (this.o.dnsRelaySocket) args.push(this.o.dnsRelaySocket);
    const child = spawn('ip', args, { detached: true, stdio: ['ignore', 'ignore', 'inherit'] });
    child.unref();
    const pid = child.pid;
    if (pid !== undefined) h.rec.dnsProc = { pid, startTime: (await processStartTime(pid)) ?? '' };
  }

  private killDns(rec: ContainerRecord): void {
    if (!rec.dnsProc) return;
    try {
      process.kill(rec.dnsProc.pid, 'SIGTERM');
    } catch {
      // gone already
    }
    rec.dnsProc = undefined;
  }

  /** Rewrites the records the container's DNS answers from (atomically: its watcher reloads on rename). */
  private async writeDns(rec: ContainerRecord): Promise<void> {
    const records = new Map<string, { name: string; aliases: string[]; ip: string }>();
    for (const e of rec.endpoints) {
      records.set(`${rec.name}/${ipOf(e)}`, { name: rec.name, aliases: e.Aliases, ip: ipOf(e) });
      for (const r of this.host.dnsRecords(e.NetworkID)) records.set(`${r.name}/${r.ip}`, r);
    }
    const file = this.paths(rec.id).dnsFile;
    // A name per write: a table change and run() may rewrite at the same moment.
    const tmp = `${file}.${++this.writes}.tmp`;
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(tmp, JSON.stringify({ records: [...records.values()] }));
    await rename(tmp, file);
  }

  /** The dns table of `networkId` changed: containers on it get the new names. */
  async refreshDns(networkId: string): Promise<void> {
    for (const h of this.byId.values()) {
      if (h.rec.endpoints.some((e) => e.NetworkID === networkId) && h.container.status().status === 'running') {
        await this.writeDns(h.rec).catch((e: unknown) => this.host.log(`container ${h.rec.name}: dns records: ${(e as Error).message}`));
      }
    }
  }

  // ------------------------------------------------------------------ connect / disconnect

  /** `network connect`: one more network for a running container, as eth(N+1). */
  async connect(ref: string, n: NetworkAttachRequest): Promise<void> {
    const h = this.find(ref);
    await this.serial(h, async () => {
      if (h.container.status().status !== 'running') throw new TsswarmError('Refused', `container ${h.rec.name} is not running; only running containers can be connected`);
      const e = await this.allocate(h.rec, n);
      if (h.rec.endpoints.some((x) => x.NetworkID === e.NetworkID)) {
        await this.deleteAtManagers(h.rec, { networkId: e.NetworkID, endpointId: e.ID });
        throw new TsswarmError('Conflict', `endpoint with name ${h.rec.name} already exists in network ${e.NetworkName}`);
      }
      const used = new Set([...h.rec.endpoints.map((x) => x.Link), ...(h.rec.gateway ? [h.rec.gateway.link] : [])]);
      let i = 0;
      while (used.has(`eth${i}`)) i++;
      const a: Attachment = { ...e, Link: `eth${i}` };
      try {
        await this.plug(h.rec, a);
      } catch (err) {
        await this.release(h.rec, a);
        throw err;
      }
      h.rec.endpoints.push(a);
      await this.syncGateway(h.rec);
      await this.afterNetworksChanged(h);
    });
  }

  /** `network disconnect`: the container leaves a network; its address goes back to the managers. */
  async disconnect(ref: string, target: string): Promise<void> {
    const h = this.find(ref);
    await this.serial(h, async () => {
      const e = h.rec.endpoints.find((x) => x.NetworkName === target || x.NetworkID === target || (target.length >= 6 && x.NetworkID.startsWith(target)));
      if (!e) throw new TsswarmError('NotFound', `container ${h.rec.name} is not connected to network ${target}`);
      h.rec.endpoints = h.rec.endpoints.filter((x) => x !== e);
      await this.release(h.rec, e);
      await this.syncGateway(h.rec);
      await this.afterNetworksChanged(h);
    });
  }

  private async afterNetworksChanged(h: Held): Promise<void> {
    await h.container.setHosts(hostsFile(h.rec.hostname, h.rec.endpoints));
    await this.writeDns(h.rec);
    await this.save(h.rec);
  }

  // ------------------------------------------------------------------ queries and verbs

  list(all: boolean): ContainerView[] {
    return [...this.byId.values()].map((h) => this.view(h)).filter((v) => all || v.State === 'running').sort((a, b) => a.Name.localeCompare(b.Name));
  }

  inspect(ref: string): ContainerView {
    return this.view(this.find(ref));
  }

  /** This node's endpoints of running containers, for the data plane to publish. */
  localEndpoints(): LocalEndpoint[] {
    const out: LocalEndpoint[] = [];
    for (const h of this.byId.values()) {
      for (const e of h.rec.endpoints) out.push({ id: e.ID, networkId: e.NetworkID, vni: e.VNI, ip: ipOf(e), mac: e.MacAddress, name: h.rec.name, aliases: e.Aliases });
    }
    return out;
  }

  async exec(ref: string, cmd: string[]): Promise<{ ExitCode: number; Stdout: string; Stderr: string }> {
    if (!Array.isArray(cmd) || cmd.length === 0) throw new TsswarmError('Invalid', 'exec needs a command');
    const r = await this.find(ref).container.exec(cmd, { timeoutMs: 120_000 });
    return { ExitCode: r.code, Stdout: r.stdout, Stderr: r.stderr };
  }

  async logs(ref: string): Promise<string> {
    const h = this.find(ref);
    return readFile(this.paths(h.rec.id).logFile, 'utf8').catch(() => '');
  }

  /** Stops the container; returns once its endpoints are released. */
  async stop(ref: string, graceMs = 10_000): Promise<void> {
    const h = this.find(ref);
    await h.container.stop(graceMs);
    await this.serial(h, async () => undefined);
  }

  /** Removes a stopped container (a running one only with force), with its namespaces and record. */
  async rm(ref: string, force: boolean): Promise<string> {
    const h = this.find(ref);
    if (h.container.status().status === 'running' && !force) {
      throw new TsswarmError('Conflict', `cannot remove container ${h.rec.name}: it is running; stop it first or use --force`);
    }
    await h.container.stop(SHUTDOWN_GRACE_MS);
    await this.serial(h, async () => {
      await h.container.remove();
      for (const u of [...h.rec.unreleased]) await this.deleteAtManagers(h.rec, u);
      this.byId.delete(h.rec.id);
      await rm(path.join(this.dir, h.rec.id), { recursive: true, force: true });
    });
    return h.rec.name;
  }

  /** Daemon shutdown: containers stop with it, and their addresses go back. */
  async stopAll(): Promise<void> {
    if (this.retrier) clearTimeout(this.retrier);
    await Promise.allSettled([...this.byId.values()].map(async (h) => {
      await h.container.stop(SHUTDOWN_GRACE_MS);
      await h.chain;
      h.container.release();
    }));
  }

  // ------------------------------------------------------------------ restart

  /**
   * After a daemon (re)start: adopt the containers still running and plug them in again;
   * record the others as exited and release what they held; then remove every namespace,
   * sandbox and veth with this daemon's prefix that no adopted container needs.
   */
  async restore(): Promise<{ adopted: string[]; exited: string[]; removed: string[] }> {
    const adopted: string[] = [];
    const exited: string[] = [];
    const removed: string[] = [];
    const held: Held[] = [];
    for (const id of await readdir(this.dir).catch((): string[] => [])) {
      let rec: ContainerRecord;
      try {
        rec = JSON.parse(await readFile(path.join(this.dir, id, 'config.json'), 'utf8')) as ContainerRecord;
      } catch {
        // A run that crashed before its first save: nothing of it is worth keeping.
        await rm(path.join(this.dir, id), { recursive: true, force: true });
        continue;
      }
      rec.unreleased ??= [];
      const spec = { netns: rec.netns, hostname: rec.hostname, hosts: hostsFile(rec.hostname, rec.endpoints), resolvConf: '', cmd: rec.cmd, env: rec.env, logFile: this.paths(id).logFile };
      const container = await Container.adopt(spec, rec.proc ?? { pid: 0, startTime: '' });
      const h: Held = { rec, container, chain: Promise.resolve() };
      this.byId.set(id, h);
      held.push(h);
    }
    // The running first, so that a dead container's release does not take down a sandbox a live one shares.
    for (const h of held.filter((x) => x.container.status().status === 'running')) {
      const { rec, container } = h;
      try {
        for (const e of rec.endpoints) await this.plug(rec, e);
        await this.syncGateway(rec);
        if (rec.dnsProc && (await processStartTime(rec.dnsProc.pid)) === rec.dnsProc.startTime) await this.writeDns(rec);
        else await this.startDns(h);
        container.onExit((st) => void this.serial(h, () => this.exited(h, st)));
        adopted.push(rec.name);
      } catch (e) {
        this.host.log(`container ${rec.name}: could not be plugged in again (${(e as Error).message}); stopping it`);
        await container.stop(SHUTDOWN_GRACE_MS);
        await this.exited(h, container.status());
        exited.push(rec.name);
      }
      await this.save(rec).catch(() => undefined);
    }
    for (const h of held.filter((x) => x.container.status().status !== 'running' && !exited.includes(x.rec.name))) {
      const { rec, container } = h;
      if (rec.endpoints.length > 0 || rec.proc) {
        this.killDns(rec);
        await this.exited(h, container.status());
        exited.push(rec.name);
      }
      await container.remove().catch(() => undefined);
      for (const u of [...rec.unreleased]) await this.deleteAtManagers(rec, u);
      await this.save(rec).catch(() => undefined);
    }
    removed.push(...await this.removeLeftovers());
    return { adopted, exited, removed };
  }

  /** Namespaces, sandboxes and veths with our prefix that no running container accounts for. */
  private async removeLeftovers(): Promise<string[]> {
    const removed: string[] = [];
    const running = [...this.byId.values()].filter((h) => h.container.status().status === 'running');
    const ownNetns = new Set(running.map((h) => h.rec.netns));
    const containerPrefix = `${this.o.netnsPrefix}c`;
    for (const ns of await listNetns()) {
      if (ns.startsWith(containerPrefix) && /^[0-9a-f]{12}$/.test(ns.slice(containerPrefix.length)) && !ownNetns.has(ns)) {
        await tryIp(undefined, ['netns', 'del', ns]);
        await rm(path.join('/etc/netns', ns), { recursive: true, force: true });
        removed.push(ns);
      }
    }
    const gwWanted = new Set(running.flatMap((h) => (h.rec.gateway ? [gatewayVethName(h.rec.gateway.address)] : [])));
    for (const veth of await gatewayVeths()) {
      if (!gwWanted.has(veth)) {
        await tryIp(undefined, ['link', 'del', veth]);
        removed.push(veth);
      }
    }
    const eps = this.localEndpoints();
    for (const sb of await removeOrphans(this.o.netnsPrefix, eps.map((e) => e.vni))) removed.push(sb.name);
    for (const sb of await listSandboxes(this.o.netnsPrefix)) {
      const wanted = new Set(eps.filter((e) => e.vni === sb.vni).map((e) => vethName(e.ip)));
      for (const link of await linkNames(sb.name)) {
        if (/^ve[0-9a-f]{8}$/.test(link) && !wanted.has(link)) {
          await tryIp(sb.name, ['link', 'del', link]);
          removed.push(`${sb.name}/${link}`);
        }
      }
    }
    return removed;
  }

  private view(h: Held): ContainerView {
    const st: ContainerState = h.container.status();
    const r = h.rec;
    return {
      Id: r.id,
      Name: r.name,
      Hostname: r.hostname,
      Cmd: r.cmd,
      State: st.status,
      ExitCode: st.status === 'exited' ? (st.exitCode ?? r.exitCode) : null,
      Created: r.created,
      FinishedAt: r.finishedAt,
      Pid: st.status === 'running' ? st.pid : 0,
      Gateway: r.gateway ? { IPAddress: r.gateway.address, Interface: r.gateway.link } : null,
      Networks: r.endpoints.map((e) => ({
        Name: e.NetworkName, NetworkID: e.NetworkID, EndpointID: e.ID, IPAddress: e.IPAddress, MacAddress: e.MacAddress,
        Gateway: e.Gateway, Aliases: e.Aliases, Interface: e.Link,
      })),
    };
  }
}

function hostsFile(hostname: string, endpoints: readonly { IPAddress: string }[]): string {
  return ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', ...endpoints.map((e) => `${ipOf(e)}\t${hostname}`)].join('\n') + '\n';
}
