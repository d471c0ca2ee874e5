// Overlay networks in the replicated store: create (allocating subnets and a VNI), find,
// list, remove and prune. Several managers run one of these each over the same store.
//
// Allocation is optimistic: read the cluster object, then the networks, decide (pure,
// allocate.ts), then commit the new network in one transaction together with an update of
// the cluster object at the version read. Every create bumps that version (the state
// machine gives an updated object the entry's index even when its content is unchanged),
// so two creates decided from the same state cannot both commit: the loser gets Conflict,
// re-reads linearizably and decides again. Reading the cluster object before the networks
// matters: any network committed after that read has moved the version on. Within one
// process creates queue behind each other, so local callers never race at all.
//
// Removal takes no lock: it only frees, and the used sets are always derived from the
// networks that exist, so a freed subnet or VNI is free for the next decision.

import { TsswarmError } from '../../shared/errors.js';
import { Batcher } from '../store/batcher.js';
import type { VniRange } from '../allocator/vni.js';
import { CLUSTER_NAME } from '../cluster.js';
import type { Failure, Network, NetworkSpec, Store, TxnRequest } from '../store/index.js';
import { NetworkAllocator, allocateNetwork, poolsOf } from './allocate.js';
import { CREATE_ATTEMPTS, CREATE_BACKOFF_CAP_MS, CREATE_BACKOFF_MS } from './defaults.js';
import { listFilter, needsUsage, pruneFilter, type NetworkFilters } from './filters.js';
import { checkCreateRequest, type CreateNetworkRequest } from './request.js';
import { resolveNetwork } from './resolve.js';
import { inUseMessage, networkUsers, type NetworkUser } from './usage.js';

export interface NetworkServiceOptions {
  /** Allocation rounds before giving up on a create that keeps losing races (default 20). */
  attempts?: number;
  /** First back-off after a lost race in ms, doubled each round, with full jitter (default 5). */
  backoffMs?: number;
  /** Longest single back-off in ms (default 100). */
  backoffCapMs?: number;
  /** VNIs to hand out (default 4096 to 2^24-1). */
  vniRange?: VniRange;
  /** Source of the `until` prune filter's "now" (default Date.now). */
  now?: () => number;
  /** Told about each lost race before the retry (for logs and tests). */
  onRetry?: (attempt: number, reason: string) => void;
}

interface Waiting {
  spec: NetworkSpec;
  resolve: (n: Network) => void;
  reject: (e: unknown) => void;
}

/** Creates per transaction: well under the store's 1000 ops and 1.5 MiB per command. */
const MAX_BATCH = 128;

function storeFailure(f: Failure): TsswarmError {
  return new TsswarmError(f.error.code, f.error.message);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class NetworkService {
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly backoffCapMs: number;
  private readonly vniRange: VniRange | undefined;
  private readonly now: () => number;
  private readonly onRetry: ((attempt: number, reason: string) => void) | undefined;
  /** Local requests not yet allocated; one pass at a time takes them. */
  private readonly batcher = new Batcher<Waiting>(MAX_BATCH, (w) => this.allocateAndCommit(w.spec).then(w.resolve, w.reject), (b) => this.allocateBatch(b));

  constructor(
    private readonly store: Store,
    opts: NetworkServiceOptions = {},
  ) {
    this.attempts = Math.max(1, opts.attempts ?? CREATE_ATTEMPTS);
    this.backoffMs = opts.backoffMs ?? CREATE_BACKOFF_MS;
    this.backoffCapMs = opts.backoffCapMs ?? CREATE_BACKOFF_CAP_MS;
    this.vniRange = opts.vniRange;
    this.now = opts.now ?? Date.now;
    this.onRetry = opts.onRetry;
  }

  /**
   * Creates a network and allocates its subnets and VNI. Nothing is written unless it
   * succeeds. Throws TsswarmError: Invalid / Refused for a bad request, NameExists,
   * Conflict (overlapping subnet, taken VNI, second ingress, or races lost every round),
   * Unavailable (pools or VNIs exhausted).
   */
  async create(req: CreateNetworkRequest): Promise<Network> {
    const spec = checkCreateRequest(req);
    return new Promise((resolve, reject) => {
      this.batcher.add({ spec, resolve, reject });
    });
  }

  /**
   * Creates waiting while a commit is in flight leave together: one allocation pass and
   * one transaction for the lot, so throughput grows with concurrency instead of being
   * one Raft commit per network.
   */
  private async allocateBatch(batch: Waiting[]): Promise<void> {
    const cluster = await this.store.getByName('clusters', CLUSTER_NAME);
    const { objects: networks } = await this.store.list('networks');
    const allocator = new NetworkAllocator({ networks, pools: poolsOf(cluster), vniRange: this.vniRange });
    const ops: TxnRequest[] = [];
    if (cluster) ops.push({ op: 'update', collection: 'clusters', id: cluster.id, expectVersion: cluster.version, change: {} });
    const placed: Waiting[] = [];
    for (const w of batch) {
      try {
        // The allocator reserves what it hands out, so later members of the batch cannot take it again.
        const content = allocator.allocate(w.spec);
        ops.push({ op: 'create', collection: 'networks', content });
        placed.push(w);
      } catch (e) {
        w.reject(e);
      }
    }
    if (placed.length === 0) return;
    const r = await this.store.transact(ops);
    if (r.ok) {
      const made = r.changes.filter((c) => c.collection === 'networks');
      placed.forEach((w, i) => {
        const c = made[i];
        if (c && c.collection === 'networks') w.resolve(c.object);
        else w.reject(new Error('network create: the transaction made fewer networks than asked'));
      });
      return;
    }
    // A lost race or one bad apple: each goes again on its own, with the usual retries.
    for (const w of placed) await this.allocateAndCommit(w.spec).then(w.resolve, w.reject);
  }

  private async allocateAndCommit(spec: NetworkSpec): Promise<Network> {
    for (let attempt = 0; ; attempt++) {
      // After a lost race the local copy may lag the winner: catch up first.
      const linearizable = attempt > 0;
      let cluster = await this.store.getByName('clusters', CLUSTER_NAME, { linearizable });
      // Missing here may only mean this manager has not applied it yet.
      if (!cluster && !linearizable) cluster = await this.store.getByName('clusters', CLUSTER_NAME, { linearizable: true });
      const { objects: networks } = await this.store.list('networks');
      const content = allocateNetwork(spec, { networks, pools: poolsOf(cluster), vniRange: this.vniRange });

      const ops: TxnRequest[] = [];
      // Without a cluster object (a swarm still initializing, some tests) there is no lock:
      // only this process's queue orders creates then.
      if (cluster) ops.push({ op: 'update', collection: 'clusters', id: cluster.id, expectVersion: cluster.version, change: {} });
      ops.push({ op: 'create', collection: 'networks', content });
      const r = await this.store.transact(ops);
      if (r.ok) {
        const made = r.changes.find((c) => c.collection === 'networks');
        if (!made || made.collection !== 'networks') throw new Error('network create: the transaction made no network');
        return made.object;
      }
      if (r.error.code === 'NameExists') throw new TsswarmError('NameExists', `network with name ${spec.name} already exists`);
      if (r.error.code !== 'Conflict') throw storeFailure(r);
      if (attempt + 1 >= this.attempts) {
        throw new TsswarmError('Conflict',
          `network ${spec.name}: lost the allocation race to concurrent changes ${this.attempts} times in a row; try again`);
      }
      this.onRetry?.(attempt + 1, r.error.message);
      // Full jitter: contenders that collided once spread out instead of colliding again.
      const cap = Math.min(this.backoffCapMs, this.backoffMs * 2 ** attempt);
      await sleep(Math.random() * cap);
    }
  }

  /** By full id, exact name, or unique id prefix, read linearizably. */
  async find(ref: string): Promise<Network> {
    const { objects } = await this.store.list('networks', undefined, { linearizable: true });
    return resolveNetwork(ref, objects);
  }

  /** Networks matching Docker's `network ls` filters, sorted by name. */
  async list(filters: NetworkFilters = {}): Promise<Network[]> {
    const match = listFilter(filters);
    const { objects } = await this.store.list('networks', undefined, { linearizable: true });
    const users = needsUsage(filters) ? await this.users(objects) : new Map<string, NetworkUser>();
    return objects.filter((n) => match(n, () => users.has(n.id))).sort(byName);
  }

  /** Removes a network no service or live task uses; returns what was removed. Refused if in use. */
  async remove(ref: string): Promise<Network> {
    const { objects } = await this.store.list('networks', undefined, { linearizable: true });
    const network = resolveNetwork(ref, objects);
    const user = (await this.users(objects)).get(network.id);
    if (user) throw new TsswarmError('Refused', inUseMessage(network, user));
    // At the version checked: an attach that lands in between bumps it, and the delete fails rather than orphan it.
    const r = await this.store.delete('networks', network.id, network.version);
    if (!r.ok) {
      if (r.error.code === 'NotFound') throw new TsswarmError('NotFound', `network ${ref} not found`);
      throw storeFailure(r);
    }
    return network;
  }

  /**
   * Removes every network that matches Docker's prune filters and is not in use, except
   * the ingress network (as Docker). Returns what was removed, sorted by name.
   */
  async prune(filters: NetworkFilters = {}): Promise<Network[]> {
    const match = pruneFilter(filters, this.now());
    const { objects } = await this.store.list('networks', undefined, { linearizable: true });
    const users = await this.users(objects);
    const removed: Network[] = [];
    for (const n of [...objects].sort(byName)) {
      if (n.spec.ingress || users.has(n.id) || !match(n)) continue;
      const r = await this.store.delete('networks', n.id, n.version);
      if (r.ok) removed.push(n);
      else if (r.error.code !== 'NotFound') throw storeFailure(r); // NotFound: someone else removed it first
    }
    return removed;
  }

  private async users(networks: readonly Network[]): Promise<Map<string, NetworkUser>> {
    const { objects: services } = await this.store.list('services');
    const { objects: tasks } = await this.store.list('tasks');
    const { objects: endpoints } = await this.store.list('endpoints');
    return networkUsers(networks, services, tasks, endpoints);
  }
}

function byName(a: Network, b: Network): number {
  return a.spec.name < b.spec.name ? -1 : a.spec.name > b.spec.name ? 1 : 0;
}
