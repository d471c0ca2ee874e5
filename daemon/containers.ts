// The node's containers (`tsswarm run|ps|exec|logs|stop|rm`): a container is a process
// in its own namespaces (worker/runtime), plugged into the sandbox of each network it
// is on (worker/overlay), with the address the managers allocated for it (an endpoint).
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Container, type ContainerState } from '../worker/runtime/container.js';
import { attachEndpoint, detachEndpoint } from '../worker/overlay/endpoints.js';
import { createSandbox } from '../worker/overlay/sandbox.js';
import type { ForwardRequest, ForwardResponse } from '../shared/control/proto.js';
import { TsswarmError, type ErrorCode } from '../shared/errors.js';
import type { LocalEndpoint } from './dataplane.js';
import type { EndpointView } from '../manager/endpoints/view.js';

export interface RunRequest {
  Name?: string;
  Hostname?: string;
  Cmd: string[];
  Env?: string[];
  /** Networks by name or id, with an optional fixed address and aliases each. */
  Networks: { Target: string; IPv4Address?: string; Aliases?: string[] }[];
}

/** What the managers answer for an attachment (manager/api/routes/endpoints.ts). */
type EndpointReply = EndpointView;

export interface ContainerView {
  Id: string;
  Name: string;
  Hostname: string;
  Cmd: string[];
  State: 'running' | 'exited';
  ExitCode: number | null;
  Created: string;
  Networks: { Name: string; NetworkID: string; EndpointID: string; IPAddress: string; MacAddress: string }[];
}

interface Held {
  dns?: ChildProcess;
  dnsFile: string;
  id: string;
  name: string;
  hostname: string;
  cmd: string[];
  created: string;
  container: Container;
  endpoints: EndpointReply[];
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

export class Containers {
  private readonly byId = new Map<string, Held>();
  private writes = 0;

  constructor(
    private readonly host: ContainerHost,
    private readonly o: { dataDir: string; netnsPrefix: string },
  ) {}

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

  find(ref: string): Held {
    const exact = this.byId.get(ref) ?? [...this.byId.values()].find((r) => r.name === ref);
    if (exact) return exact;
    const prefixed = [...this.byId.values()].filter((r) => r.id.startsWith(ref));
    if (prefixed.length === 1) return prefixed[0]!;
    throw new TsswarmError('NotFound', prefixed.length > 1 ? `container ${ref} is ambiguous` : `No such container: ${ref}`);
  }

  async run(req: RunRequest): Promise<ContainerView> {
    const nodeId = this.host.nodeId();
    const vtep = this.host.vtep();
    if (!nodeId || !vtep) throw new TsswarmError('Refused', 'this node is not part of a swarm; containers need its overlay networks');
    if (!Array.isArray(req.Cmd) || req.Cmd.length === 0) throw new TsswarmError('Invalid', 'a container needs a command (tsswarm run ... -- CMD)');
    const nets = req.Networks ?? [];
    if (nets.length === 0) throw new TsswarmError('Invalid', 'a container needs a network (--network NAME)');
    if (nets.length > 1) throw new TsswarmError('Invalid', 'one network per container for now; connect more later is not supported yet');
    const id = randomBytes(32).toString('hex');
    const name = req.Name || `c-${id.slice(0, 8)}`;
    if (!NAME.test(name)) throw new TsswarmError('Invalid', `invalid container name "${name}": letters, digits, _ . - (up to 63)`);
    if ([...this.byId.values()].some((r) => r.name === name)) throw new TsswarmError('Conflict', `the container name "${name}" is already in use on this node`);
    const hostname = req.Hostname || name;
    const endpoints: EndpointReply[] = [];
    try {
      for (const n of nets) {
        // Honest until the sealed data path exists: never carry an encrypted network's traffic in the clear.
        const net = await this.api<{ Options?: Record<string, string> }>('GET', `/networks/${encodeURIComponent(n.Target)}`);
        if (net.Options && 'encrypted' in net.Options) {
          throw new TsswarmError('Refused', `network ${n.Target} is encrypted, and this version cannot encrypt the data path yet; containers are refused rather than sent in the clear`);
        }
        endpoints.push(await this.api<EndpointReply>('POST', `/networks/${encodeURIComponent(n.Target)}/endpoints`, {
          ContainerName: name, ContainerID: id, NodeID: nodeId, Aliases: n.Aliases ?? [], ...(n.IPv4Address ? { IPv4Address: n.IPv4Address } : {}),
        }));
      }
      const ip = (e: EndpointReply): string => e.IPAddress.split('/')[0]!;
      const hosts = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', ...endpoints.map((e) => `${ip(e)}\t${hostname}`)].join('\n') + '\n';
      const logFile = path.join(this.o.dataDir, 'containers', id, 'log');
      await mkdir(path.dirname(logFile), { recursive: true });
      const env = Object.fromEntries((req.Env ?? []).map((kv) => [kv.split('=')[0]!, kv.slice(kv.indexOf('=') + 1)]));
      const container = await Container.start({
        netns: `${this.o.netnsPrefix}c${id.slice(0, 12)}`,
        hostname,
        hosts,
        // The embedded DNS (127.0.0.11) arrives with the gossiped dns table.
        resolvConf: 'nameserver 127.0.0.11\noptions ndots:0\n',
        cmd: req.Cmd,
        env,
        logFile,
      });
      const dnsFile = path.join(this.o.dataDir, 'containers', id, 'dns.json');
      const rec: Held = { id, name, hostname, cmd: req.Cmd, created: new Date().toISOString(), container, endpoints, dnsFile };
      this.byId.set(id, rec);
      for (const e of endpoints) {
        const sb = await createSandbox(
          { vni: e.VNI, subnet: e.Subnet, gateway: e.Gateway, mtu: e.MTU, dataPathPort: this.host.dataPathPort(), internal: e.Internal },
          { prefix: this.o.netnsPrefix, vtep },
        );
        await attachEndpoint(sb, { ip: ip(e), mac: e.MacAddress, netns: container.spec.netns });
        const aliases = nets.find((n) => n.Target === e.NetworkName || n.Target === e.NetworkID)?.Aliases ?? [];
        this.host.endpointAdded({ id: e.ID, networkId: e.NetworkID, vni: e.VNI, ip: ip(e), mac: e.MacAddress, name, aliases });
      }
      await this.writeDns(rec);
      rec.dns = spawn('ip', ['netns', 'exec', container.spec.netns, process.execPath, CONTAINER_DNS, dnsFile], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      return this.view(rec);
    } catch (e) {
      const rec = this.byId.get(id);
      this.byId.delete(id);
      await rec?.container.remove().catch(() => undefined);
      await this.release(id, endpoints);
      throw e;
    }
  }

  /** Rewrites the records the container's DNS answers from (atomically: its watcher reloads on rename). */
  private async writeDns(rec: Held): Promise<void> {
    const records = new Map<string, { name: string; aliases: string[]; ip: string }>();
    for (const e of rec.endpoints) {
      records.set(`${rec.name}/${e.IPAddress}`, { name: rec.name, aliases: e.Aliases, ip: e.IPAddress.split('/')[0]! });
      for (const r of this.host.dnsRecords(e.NetworkID)) records.set(`${r.name}/${r.ip}`, r);
    }
    // A name per write: a table change and run() may rewrite at the same moment.
    const tmp = `${rec.dnsFile}.${++this.writes}.tmp`;
    await writeFile(tmp, JSON.stringify({ records: [...records.values()] }));
    await rename(tmp, rec.dnsFile);
  }

  /** The dns table of `networkId` changed: containers on it get the new names. */
  async refreshDns(networkId: string): Promise<void> {
    for (const rec of this.byId.values()) {
      if (rec.endpoints.some((e) => e.NetworkID === networkId) && rec.container.status().status === 'running') {
        await this.writeDns(rec).catch((e: unknown) => this.host.log(`container ${rec.name}: dns records: ${(e as Error).message}`));
      }
    }
  }

  private async release(id: string, endpoints: EndpointReply[]): Promise<void> {
    for (const e of endpoints) {
      this.host.endpointRemoved(e.ID);
      await detachEndpoint({ name: `${this.o.netnsPrefix}ov-${e.VNI}` }, e.IPAddress.split('/')[0]!).catch(() => undefined);
      await this.api('DELETE', `/networks/${e.NetworkID}/endpoints/${e.ID}`).catch((err: unknown) =>
        this.host.log(`container ${id}: could not release endpoint ${e.ID}: ${(err as Error).message}`));
    }
  }

  list(all: boolean): ContainerView[] {
    return [...this.byId.values()].map((r) => this.view(r)).filter((v) => all || v.State === 'running').sort((a, b) => a.Name.localeCompare(b.Name));
  }

  inspect(ref: string): ContainerView {
    return this.view(this.find(ref));
  }

  async exec(ref: string, cmd: string[]): Promise<{ ExitCode: number; Stdout: string; Stderr: string }> {
    if (!Array.isArray(cmd) || cmd.length === 0) throw new TsswarmError('Invalid', 'exec needs a command');
    const r = await this.find(ref).container.exec(cmd, { timeoutMs: 120_000 });
    return { ExitCode: r.code, Stdout: r.stdout, Stderr: r.stderr };
  }

  async logs(ref: string): Promise<string> {
    const rec = this.find(ref);
    return readFile(rec.container.spec.logFile, 'utf8').catch(() => '');
  }

  async stop(ref: string, graceMs = 10_000): Promise<void> {
    const rec = this.find(ref);
    await rec.container.stop(graceMs);
    rec.dns?.kill('SIGTERM');
  }

  /** Removes a stopped container (a running one only with force) and releases its addresses everywhere. */
  async rm(ref: string, force: boolean): Promise<string> {
    const rec = this.find(ref);
    if (rec.container.status().status === 'running' && !force) {
      throw new TsswarmError('Conflict', `cannot remove container ${rec.name}: it is running; stop it first or use --force`);
    }
    rec.dns?.kill('SIGTERM');
    await rec.container.remove();
    await this.release(rec.id, rec.endpoints);
    this.byId.delete(rec.id);
    return rec.name;
  }

  /** Daemon shutdown: containers stop with it (they are its children). */
  async stopAll(): Promise<void> {
    for (const r of this.byId.values()) r.dns?.kill('SIGTERM');
    await Promise.allSettled([...this.byId.values()].map((r) => r.container.stop(2_000)));
  }

  private view(r: Held): ContainerView {
    const st: ContainerState = r.container.status();
    return {
      Id: r.id,
      Name: r.name,
      Hostname: r.hostname,
      Cmd: r.cmd,
      State: st.status,
      ExitCode: st.status === 'exited' ? st.exitCode : null,
      Created: r.created,
      Networks: r.endpoints.map((e) => ({ Name: e.NetworkName, NetworkID: e.NetworkID, EndpointID: e.ID, IPAddress: e.IPAddress, MacAddress: e.MacAddress })),
    };
  }
}
