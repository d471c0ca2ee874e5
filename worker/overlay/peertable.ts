// The pure half of peer programming: what the kernel holds, what we want, the difference,
// and the batch lines that turn one into the other. No I/O, so it is unit-tested alone.
import { TsswarmError } from '../../shared/errors.js';
import { VXLAN } from './defaults.js';
import { jsonArray, str } from './iproute.js';
import { normalizeIPv4, normalizeMac } from './names.js';

/** A remote endpoint: its overlay address and MAC, and the underlay address (VTEP) of its host. */
export interface Peer {
  ip: string;
  mac: string;
  vtep: string;
}

/** A neighbour entry on the sandbox's vxlan device. */
export interface NeighEntry {
  ip: string;
  /** Absent for entries that never resolved (FAILED, INCOMPLETE). */
  mac?: string;
  permanent: boolean;
}

/** A forwarding entry of the vxlan device: frames for `mac` go to `vtep`. */
export interface FdbEntry {
  mac: string;
  vtep: string;
}

export interface KernelPeers {
  neigh: NeighEntry[];
  fdb: FdbEntry[];
}

/** One change set. Deletions are applied before additions so a moved MAC never meets its old entry. */
export interface PeerChanges {
  neighDel: string[];
  neighSet: { ip: string; mac: string }[];
  fdbDel: FdbEntry[];
  fdbSet: FdbEntry[];
}

export function emptyChanges(): PeerChanges {
  return { neighDel: [], neighSet: [], fdbDel: [], fdbSet: [] };
}

export function isEmpty(c: PeerChanges): boolean {
  return c.neighDel.length + c.neighSet.length + c.fdbDel.length + c.fdbSet.length === 0;
}

/**
 * Peers in canonical form, refusing contradictions: one MAC per address and one VTEP per
 * MAC. Validation also keeps anything but addresses out of the batch text.
 */
export function checkPeers(peers: readonly Peer[]): Peer[] {
  const byIp = new Map<string, Peer>();
  const vtepOfMac = new Map<string, string>();
  for (const p of peers) {
    const peer = { ip: normalizeIPv4(p.ip, 'peer address'), mac: normalizeMac(p.mac), vtep: normalizeIPv4(p.vtep, 'VTEP address') };
    const seen = byIp.get(peer.ip);
    if (seen && seen.mac !== peer.mac) throw new TsswarmError('Invalid', `peer ${peer.ip} is given twice, with MAC ${seen.mac} and ${peer.mac}; an address has one endpoint`);
    const vtep = vtepOfMac.get(peer.mac);
    if (vtep !== undefined && vtep !== peer.vtep) throw new TsswarmError('Invalid', `MAC ${peer.mac} is given at two VTEPs, ${vtep} and ${peer.vtep}; an endpoint lives on one host`);
    byIp.set(peer.ip, peer);
    vtepOfMac.set(peer.mac, peer.vtep);
  }
  return [...byIp.values()];
}

/** `ip -j neigh show dev vxlan0`: [{"dst":"10.0.0.3","lladdr":"02:42:..","state":["PERMANENT"]}]. */
export function parseNeighJson(text: string): NeighEntry[] {
  const out: NeighEntry[] = [];
  for (const e of jsonArray(text)) {
    const ip = str(e, 'dst');
    if (ip === undefined) continue;
    const state = Array.isArray(e['state']) ? e['state'] : [];
    const mac = str(e, 'lladdr');
    out.push({ ip, ...(mac === undefined ? {} : { mac: mac.toLowerCase() }), permanent: state.includes('PERMANENT') });
  }
  return out;
}

/**
 * `bridge -j fdb show dev vxlan0`. Only entries with a `dst` are remote endpoints; the
 * rest (the port's own address, learned by br0 as "master") are the bridge's, not ours.
 */
export function parseFdbJson(text: string): FdbEntry[] {
  const out: FdbEntry[] = [];
  for (const e of jsonArray(text)) {
    const mac = str(e, 'mac');
    const vtep = str(e, 'dst');
    if (mac === undefined || vtep === undefined || e['master'] !== undefined) continue;
    out.push({ mac: mac.toLowerCase(), vtep });
  }
  return out;
}

/** What turns `kernel` into exactly `desired`: missing or changed entries set, stale ones deleted. */
export function diffPeers(desired: readonly Peer[], kernel: KernelPeers): PeerChanges {
  const want = checkPeers(desired);
  const c = emptyChanges();

  const wantMacOfIp = new Map(want.map((p) => [p.ip, p.mac]));
  const haveNeigh = new Map(kernel.neigh.map((n) => [n.ip, n]));
  for (const n of kernel.neigh) if (!wantMacOfIp.has(n.ip)) c.neighDel.push(n.ip);
  for (const [ip, mac] of wantMacOfIp) {
    const have = haveNeigh.get(ip);
    if (!have || have.mac !== mac || !have.permanent) c.neighSet.push({ ip, mac });
  }

  const key = (f: FdbEntry): string => `${f.mac} ${f.vtep}`;
  const wantFdb = new Map<string, FdbEntry>();
  for (const p of want) wantFdb.set(key(p), { mac: p.mac, vtep: p.vtep });
  const haveFdb = new Set(kernel.fdb.map(key));
  for (const f of kernel.fdb) if (!wantFdb.has(key(f))) c.fdbDel.push(f);
  for (const [k, f] of wantFdb) if (!haveFdb.has(k)) c.fdbSet.push(f);
  return c;
}

/** The changes that make sure every peer is programmed (idempotent: "replace"). */
export function setChanges(peers: readonly Peer[]): PeerChanges {
  const want = checkPeers(peers);
  const c = emptyChanges();
  c.neighSet = want.map((p) => ({ ip: p.ip, mac: p.mac }));
  const seen = new Set<string>();
  for (const p of want) {
    if (seen.has(p.mac)) continue;
    seen.add(p.mac);
    c.fdbSet.push({ mac: p.mac, vtep: p.vtep });
  }
  return c;
}

/** The changes that remove those of `peers` the kernel holds, and nothing else. */
export function removeChanges(peers: readonly Peer[], kernel: KernelPeers): PeerChanges {
  const gone = checkPeers(peers);
  const c = emptyChanges();
  const ips = new Set(gone.map((p) => p.ip));
  const pairs = new Set(gone.map((p) => `${p.mac} ${p.vtep}`));
  c.neighDel = kernel.neigh.filter((n) => ips.has(n.ip)).map((n) => n.ip);
  c.fdbDel = kernel.fdb.filter((f) => pairs.has(`${f.mac} ${f.vtep}`));
  return c;
}

/** Lines for `ip -batch -`: deletions first. */
export function neighBatch(c: PeerChanges, dev = VXLAN): string[] {
  return [
    ...c.neighDel.map((ip) => `neigh del ${ip} dev ${dev}`),
    ...c.neighSet.map((n) => `neigh replace ${n.ip} lladdr ${n.mac} dev ${dev} nud permanent`),
  ];
}

/** Lines for `bridge -batch -`: deletions first; `self` puts entries in the vxlan device's own table. */
export function fdbBatch(c: PeerChanges, dev = VXLAN): string[] {
  return [
    ...c.fdbDel.map((f) => `fdb del ${f.mac} dev ${dev} dst ${f.vtep} self`),
    ...c.fdbSet.map((f) => `fdb replace ${f.mac} dev ${dev} dst ${f.vtep} self permanent`),
  ];
}
