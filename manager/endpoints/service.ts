// Container endpoints on overlay networks in the replicated store: attach (allocating an
// address and MAC), list, detach. Several managers run one of these each over the same store.
//
// Allocation is optimistic, as network creates (manager/networks/service.ts), with the
// network object as the lock: read the network, then what holds addresses on it, decide
// (pure, allocate.ts), then commit the new endpoints in one transaction together with an
// update of the network at the version read (content unchanged; the state machine still
// gives it the entry's index as its new version). Two attaches decided from the same state
// of one network cannot both commit: the loser gets Conflict, re-reads linearizably and
// decides again. Attaches to different networks never contend. Within one process attaches
// queue and leave together, one transaction per batch.
//
// Detaching takes no lock: it only frees, and the used addresses are always derived from
// the endpoints that exist.

import { TsswarmError } from '../../shared/errors.js';
import { resolveNetwork } from '../networks/resolve.js';
import type { Endpoint, Failure, Network, Store, TxnRequest } from '../store/index.js';
import { EndpointAllocator, type OtherHolders } from './allocate.js';
import { ATTACH_ATTEMPTS, ATTACH_BACKOFF_CAP_MS, ATTACH_BACKOFF_MS, MAX_ATTACH_BATCH } from './defaults.js';
import { endpointFilter, type EndpointFilters } from './filters.js';
import { checkAttachRequest, type AttachRequest, type CheckedAttach } from './request.js';
import { Batcher } from '../store/batcher.js';

export interface EndpointServiceOptions {
  /** Allocation rounds before giving up on an attach that keeps losing races (default 20). */
  attempts?: number;
  /** First back-off after a lost race in ms, doubled each round, with full jitter (default 5). */
  backoffMs?: number;
  /** Longest single back-off in ms (default 100). */
  backoffCapMs?: number;
  /** Told about each lost race before the retry (for logs and tests). */
  onRetry?: (attempt: number, reason: string) => void;
}

/** An endpoint with the network it is on, which its view needs. */
export interface Attached {
  endpoint: Endpoint;
  network: Network;
}

interface Waiting {
  networkRef: string;
  req: CheckedAttach;
  resolve: (a: Attached) => void;
  reject: (e: unknown) => void;
}

function storeFailure(f: Failure): TsswarmError {
  return new TsswarmError(f.error.code, f.error.message);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function byNetworkThenAddress(names: ReadonlyMap<string, string>): (a: Endpoint, b: Endpoint) => number {
  const ip = (e: Endpoint): number => e.address.split('/')[0]!.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  return (a, b) => {
    const na = names.get(a.spec.networkId) ?? a.spec.networkId;
    const nb = names.get(b.spec.networkId) ?? b.spec.networkId;
    return na < nb ? -1 : na > nb ? 1 : ip(a) - ip(b);
  };
}

export class EndpointService {
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly backoffCapMs: number;
  private readonly onRetry: ((attempt: number, reason: string) => void) | undefined;
  /** Local requests not yet allocated; one pass at a time takes them. */
  private readonly batcher = new Batcher<Waiting>(MAX_ATTACH_BATCH, (w) => this.allocateAndCommit(w.networkRef, w.req).then(w.resolve, w.reject), (b) => this.allocateBatch(b));

  constructor(
    private readonly store: Store,
    opts: EndpointServiceOptions = {},
  ) {
    this.attempts = Math.max(1, opts.attempts ?? ATTACH_ATTEMPTS);
    this.backoffMs = opts.backoffMs ?? ATTACH_BACKOFF_MS;
    this.backoffCapMs = opts.backoffCapMs ?? ATTACH_BACKOFF_CAP_MS;
    this.onRetry = opts.onRetry;
  }

  /**
   * Attaches a container to a network (by id, name or unique id prefix) and allocates its
   * address. Nothing is written unless it succeeds. Throws TsswarmError: Invalid for a bad
   * request or address, NotFound, Refused (not attachable, ingress, name or container
   * already on the network), Conflict (address taken, or races lost every round),
   * Unavailable (no free address).
   */
  async attach(networkRef: string, req: AttachRequest): Promise<Attached> {
    const checked = checkAttachRequest(req);
    return new Promise((resolve, reject) => {
      this.batcher.add({ networkRef, req: checked, resolve, reject });
    });
  }


  /** Linearizable, so a network just created through another manager is found. */
  private async networks(): Promise<Network[]> {
    return (await this.store.list('networks', undefined, { linearizable: true })).objects;
  }

  /** Read after the networks they concern: anything committed later has moved the lock on. */
  private async holders(): Promise<{ endpoints: Endpoint[]; others: OtherHolders }> {
    const { objects: endpoints } = await this.store.list('endpoints');
    const { objects: tasks } = await this.store.list('tasks');
    const { objects: services } = await this.store.list('services');
    const { objects: nodes } = await this.store.list('nodes');
    return { endpoints, others: { tasks, services, nodes } };
  }

  private async allocateBatch(batch: Waiting[]): Promise<void> {
    const networks = await this.networks();
    const { endpoints, others } = await this.holders();
    const allocators = new Map<string, EndpointAllocator>();
    const locks: TxnRequest[] = [];
    const creates: TxnRequest[] = [];
    const placed: { w: Waiting; network: Network }[] = [];
    for (const w of batch) {
      try {
        const network = resolveNetwork(w.networkRef, networks);
        let allocator = allocators.get(network.id);
        if (!allocator) {
          allocator = new EndpointAllocator(network, endpoints.filter((e) => e.spec.networkId === network.id), others);
          allocators.set(network.id, allocator);
          locks.push({ op: 'update', collection: 'networks', id: network.id, expectVersion: network.version, change: {} });
        }
        creates.push({ op: 'create', collection: 'endpoints', content: allocator.allocate(w.req) });
        placed.push({ w, network });
      } catch (e) {
        w.reject(e);
      }
    }
    if (placed.length === 0) return;
    const r = await this.store.transact([...locks, ...creates]);
    if (r.ok) {
      const made = r.changes.filter((c) => c.collection === 'endpoints');
      placed.forEach(({ w, network }, i) => {
        const c = made[i];
        if (c && c.collection === 'endpoints') w.resolve({ endpoint: c.object, network });
        else w.reject(new Error('endpoint attach: the transaction made fewer endpoints than asked'));
      });
      return;
    }
    // A lost race or one bad apple: each goes again on its own, with the usual retries.
    for (const { w } of placed) await this.allocateAndCommit(w.networkRef, w.req).then(w.resolve, w.reject);
  }

  private async allocateAndCommit(networkRef: string, req: CheckedAttach): Promise<Attached> {
    for (let attempt = 0; ; attempt++) {
      const network = resolveNetwork(networkRef, await this.networks());
      const { endpoints, others } = await this.holders();
      const content = new EndpointAllocator(network, endpoints.filter((e) => e.spec.networkId === network.id), others).allocate(req);
      const r = await this.store.transact([
        { op: 'update', collection: 'networks', id: network.id, expectVersion: network.version, change: {} },
        { op: 'create', collection: 'endpoints', content },
      ]);
      if (r.ok) {
        const made = r.changes.find((c) => c.collection === 'endpoints');
        if (!made || made.collection !== 'endpoints') throw new Error('endpoint attach: the transaction made no endpoint');
        return { endpoint: made.object, network };
      }
      if (r.error.code === 'NotFound') throw new TsswarmError('NotFound', `network ${networkRef} not found`);
      if (r.error.code !== 'Conflict') throw storeFailure(r);
      if (attempt + 1 >= this.attempts) {
        throw new TsswarmError('Conflict',
          `attaching ${req.containerName} to network ${network.spec.name}: lost the allocation race to concurrent changes ${this.attempts} times in a row; try again`);
      }
      this.onRetry?.(attempt + 1, r.error.message);
      // Full jitter: contenders that collided once spread out instead of colliding again.
      const cap = Math.min(this.backoffCapMs, this.backoffMs * 2 ** attempt);
      await sleep(Math.random() * cap);
    }
  }

  /** The endpoints of one network (by id, name or unique id prefix), by address. */
  async listOn(networkRef: string): Promise<Attached[]> {
    const network = resolveNetwork(networkRef, await this.networks());
    const { objects } = await this.store.list('endpoints', (e) => e.spec.networkId === network.id);
    return objects.sort(byNetworkThenAddress(new Map())).map((endpoint) => ({ endpoint, network }));
  }

  /**
   * Endpoints across networks matching `filters` (node, network, container; see
   * filters.ts), by network name then address. Endpoints whose network is gone are left out.
   */
  async list(filters: EndpointFilters = {}): Promise<Attached[]> {
    const networks = await this.networks();
    const byId = new Map(networks.map((n) => [n.id, n]));
    const match = endpointFilter(filters);
    const { objects } = await this.store.list('endpoints');
    const out: Attached[] = [];
    for (const endpoint of objects) {
      const network = byId.get(endpoint.spec.networkId);
      if (network && match(endpoint, network)) out.push({ endpoint, network });
    }
    const names = new Map(networks.map((n) => [n.id, n.spec.name]));
    const order = byNetworkThenAddress(names);
    return out.sort((a, b) => order(a.endpoint, b.endpoint));
  }

  /** Removes one endpoint of a network, freeing its address. NotFound if it is not on that network. */
  async detach(networkRef: string, endpointId: string): Promise<Endpoint> {
    const network = resolveNetwork(networkRef, await this.networks());
    const e = await this.store.get('endpoints', endpointId);
    if (!e || e.spec.networkId !== network.id) {
      throw new TsswarmError('NotFound', `endpoint ${endpointId} not found on network ${network.spec.name}`);
    }
    const r = await this.store.delete('endpoints', e.id);
    if (!r.ok) {
      if (r.error.code === 'NotFound') throw new TsswarmError('NotFound', `endpoint ${endpointId} not found on network ${network.spec.name}`);
      throw storeFailure(r);
    }
    return e;
  }

  /**
   * Removes every endpoint of a container (by id, or by name), on every network; with
   * `nodeId`, only that node's. Returns what this call removed (one removed concurrently
   * by someone else is not counted).
   */
  async detachContainer(container: string, nodeId?: string): Promise<Endpoint[]> {
    if (container === '') throw new TsswarmError('Invalid', 'which container? give container=ID');
    const { objects } = await this.store.list('endpoints', (e) =>
      (e.spec.containerId === container || e.spec.containerName === container) && (nodeId === undefined || e.spec.nodeId === nodeId),
      { linearizable: true });
    const removed: Endpoint[] = [];
    for (const e of objects) {
      const r = await this.store.delete('endpoints', e.id);
      if (r.ok) removed.push(e);
      else if (r.error.code !== 'NotFound') throw storeFailure(r);
    }
    return removed;
  }
}
