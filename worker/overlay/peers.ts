// Remote endpoints in a sandbox: permanent neighbour entries (IP → MAC, so the vxlan
// device answers ARP) and FDB entries (MAC → remote VTEP), programmed in batches and
// reconciled against what the kernel holds so a restarted daemon converges.
import { VXLAN } from './defaults.js';
import { batch, bridge, ip } from './iproute.js';
import { diffPeers, fdbBatch, isEmpty, neighBatch, parseFdbJson, parseNeighJson, removeChanges, setChanges, type KernelPeers, type Peer, type PeerChanges } from './peertable.js';

export type { Peer, PeerChanges, KernelPeers } from './peertable.js';
export { listSandboxes, removeOrphans, type SandboxRef } from './sandbox.js';

/** The neighbour and FDB entries of the sandbox's vxlan device. */
export async function readPeers(sandbox: string): Promise<KernelPeers> {
  const [neigh, fdb] = await Promise.all([
    ip(sandbox, ['-j', 'neigh', 'show', 'dev', VXLAN]),
    bridge(sandbox, ['-j', 'fdb', 'show', 'dev', VXLAN]),
  ]);
  return { neigh: parseNeighJson(neigh), fdb: parseFdbJson(fdb) };
}

/** Applies one change set: at most one `ip -batch` and one `bridge -batch` process. */
export async function applyPeerChanges(sandbox: string, c: PeerChanges): Promise<void> {
  // FDB first: by the time a neighbour entry lets the kernel address a frame, it knows where to send it.
  await batch('bridge', sandbox, fdbBatch(c));
  await batch('ip', sandbox, neighBatch(c));
}

/** Programs `peers` (replacing what differs for the same address or MAC). */
export async function addPeers(sandbox: string, peers: readonly Peer[]): Promise<void> {
  await applyPeerChanges(sandbox, setChanges(peers));
}

/** Removes the entries of `peers` that the kernel holds; entries already gone are no error. */
export async function removePeers(sandbox: string, peers: readonly Peer[]): Promise<PeerChanges> {
  const c = removeChanges(peers, await readPeers(sandbox));
  await applyPeerChanges(sandbox, c);
  return c;
}

/** Makes the kernel hold exactly `desired`: adds what is missing, deletes what is stale. Returns what it changed. */
export async function reconcilePeers(sandbox: string, desired: readonly Peer[]): Promise<PeerChanges> {
  const c = diffPeers(desired, await readPeers(sandbox));
  if (!isEmpty(c)) await applyPeerChanges(sandbox, c);
  return c;
}
