// A small swarm for the network tests: one state machine, one fake Raft, one Store and one
// NetworkService per simulated manager, and a cluster object carrying the address pools.

import {
  StateMachine, Store, type ApplyResult, type Contents, type Network, type RaftProposer,
} from '../../../manager/store/index.js';
import { DEFAULT_CLUSTER_SPEC } from '../../../manager/cluster.js';
import { NetworkService, type NetworkServiceOptions } from '../../../manager/networks/service.js';
import { FakeRaft, T0, serviceContent, taskContent } from '../store/helpers.js';
import { mulberry32 } from '../prng.js';

export function clusterContent(pools: string[] = ['10.0.0.0/8'], subnetSize = 24): Contents['clusters'] {
  return { spec: structuredClone(DEFAULT_CLUSTER_SPEC), defaultAddrPool: pools, subnetSize, dataPathPort: 4789 };
}

/** Small seeded PRNG (mulberry32), so an interleaving that fails can be replayed. */
export const prng = mulberry32;

async function microtasks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

/**
 * A fake Raft whose proposals and read barriers take a random number of microtasks, so
 * the proposals of concurrent callers interleave and reach the state machine in an order
 * other than the one they were made in.
 */
export class JitteryRaft implements RaftProposer {
  index = 0;
  proposals = 0;
  private readonly rand: () => number;

  constructor(readonly sm: StateMachine, seed: number, private readonly maxDelay = 30) {
    this.rand = prng(seed);
  }

  async propose(data: Uint8Array, _requestId: string): Promise<ApplyResult> {
    this.proposals++;
    await microtasks(Math.floor(this.rand() * this.maxDelay));
    const index = ++this.index;
    return this.sm.apply(index, data);
  }

  async readBarrier(): Promise<void> {
    await microtasks(Math.floor(this.rand() * this.maxDelay));
  }
}

export interface World {
  sm: StateMachine;
  raft: FakeRaft | JitteryRaft;
  /** One per simulated manager, all over the same state machine. */
  stores: Store[];
  services: NetworkService[];
  store: Store;
  net: NetworkService;
  clusterId: string | undefined;
}

export interface WorldOptions {
  /** Default: one cluster object with 10.0.0.0/8 in /24s; `null`: no cluster object at all. */
  pools?: string[] | null;
  subnetSize?: number;
  managers?: number;
  /** Seed for a JitteryRaft; without it proposals apply at once (FakeRaft). */
  jitterSeed?: number;
  service?: NetworkServiceOptions;
}

export async function world(opts: WorldOptions = {}): Promise<World> {
  const sm = new StateMachine();
  const raft = opts.jitterSeed === undefined ? new FakeRaft(sm) : new JitteryRaft(sm, opts.jitterSeed);
  let t = T0;
  const now = (): number => (t += 1000);
  const stores = Array.from({ length: opts.managers ?? 1 }, () => new Store(sm, raft, { now }));
  let clusterId: string | undefined;
  if (opts.pools !== null) {
    const r = await stores[0].create('clusters', clusterContent(opts.pools, opts.subnetSize));
    if (!r.ok) throw new Error(r.error.message);
    clusterId = r.object.id;
  }
  const services = stores.map((s) => new NetworkService(s, { backoffMs: 1, backoffCapMs: 4, ...opts.service }));
  return { sm, raft, stores, services, store: stores[0], net: services[0], clusterId };
}

/** The whole replicated state as bytes: equal before and after means nothing was written. */
export function stateBytes(w: World): Buffer {
  return Buffer.from(w.sm.snapshot());
}

export function subnetOf(n: Network): string {
  const s = n.ipam?.configs[0]?.subnet;
  if (s === undefined) throw new Error(`network ${n.spec.name} has no subnet`);
  return s;
}

export function vniOf(n: Network): number {
  const v = n.driverState?.vni;
  if (v === undefined) throw new Error(`network ${n.spec.name} has no VNI`);
  return v;
}

/** A service whose tasks attach to `targets` (network ids or names). */
export function serviceOn(name: string, targets: string[]): Contents['services'] {
  const s = serviceContent(name, 1);
  return { ...s, spec: { ...s.spec, endpointSpec: { mode: 'vip' }, taskTemplate: { ...s.spec.taskTemplate, networks: targets.map((target) => ({ target })) } } };
}

/** A task in `state` holding an address on `networkId`. */
export function taskOn(serviceId: string, networkId: string, state: Contents['tasks']['status']['state']): Contents['tasks'] {
  const t = taskContent(serviceId, 1);
  return { ...t, status: { ...t.status, state }, networksAttachments: [{ networkId, addresses: ['10.0.0.5/24'] }] };
}
