// What the data-plane lab tests share: running the CLI on a host, waiting for a condition,
// and reading what each host's kernel holds for a network (FDB and neighbour entries of its
// sandbox, sandboxes, vxlan devices, container namespaces), to compare with what is running.
import assert from 'node:assert/strict';
import type { Lab } from '../harness/lab.js';
import { readPeers } from '../../worker/overlay/peers.js';
import { run } from '../../shared/run.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function ok(lab: Lab, host: string, args: string[], timeoutMs?: number): Promise<string> {
  const r = await lab.tsswarm(host, args, timeoutMs ? { timeoutMs } : {});
  assert.equal(r.code, 0, `tsswarm ${args.join(' ')} on ${host} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Polls until `fn` holds; returns how long it took. */
export async function until(what: string, timeoutMs: number, fn: () => Promise<boolean>, everyMs = 100): Promise<number> {
  const t0 = Date.now();
  while (!(await fn().catch(() => false))) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
  return Date.now() - t0;
}

export async function pings(lab: Lab, host: string, container: string, target: string, count = 1): Promise<boolean> {
  return (await lab.tsswarm(host, ['exec', container, '--', 'ping', '-c', String(count), '-W', '1', target], { timeoutMs: 15_000 })).code === 0;
}

export async function vniOf(lab: Lab, host: string, network: string): Promise<number> {
  const out = await ok(lab, host, ['network', 'inspect', '--format', '{{index .Options "com.docker.network.driver.overlay.vxlanid_list"}}', network]);
  return Number(out.trim());
}

export interface RunningEndpoint {
  network: string;
  host: string;
  container: string;
  ip: string;
  mac: string;
  vtep: string;
}

interface PsView {
  Name: string;
  State: string;
  Networks: { Name: string; IPAddress: string; MacAddress: string }[];
}

/** The endpoints on `network` (default: all networks) of every running container of the given hosts, as their daemons report them. */
export async function runningEndpoints(lab: Lab, hosts: string[], network?: string): Promise<RunningEndpoint[]> {
  const out: RunningEndpoint[] = [];
  for (const host of hosts) {
    const ids = (await ok(lab, host, ['ps', '-q', '--no-trunc'])).split('\n').filter(Boolean);
    const list = ids.length === 0 ? [] : JSON.parse(await ok(lab, host, ['inspect', ...ids])) as PsView[];
    for (const c of list) {
      if (c.State !== 'running') continue;
      for (const n of c.Networks) {
        if (network === undefined || n.Name === network) out.push({ network: n.Name, host, container: c.Name, ip: n.IPAddress.split('/')[0]!, mac: n.MacAddress, vtep: lab.host(host).ip });
      }
    }
  }
  return out;
}

export const sandboxOf = (lab: Lab, host: string, vni: number): string => `${lab.host(host).netns}-ov-${vni}`;

async function netnsList(): Promise<string[]> {
  return (await run(['ip', 'netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}

/**
 * Every host's kernel holds exactly the remote endpoints that run elsewhere on the
 * network: one FDB entry (MAC → that host's VTEP) and one permanent neighbour entry
 * (IP → MAC) each, nothing stale, nothing learned; and only hosts with a local endpoint
 * have a sandbox. Returns a description of every difference (empty: all good).
 */
export async function kernelDiffs(lab: Lab, hosts: string[], network: string, vni: number, known?: RunningEndpoint[]): Promise<string[]> {
  const eps = known ? known.filter((e) => e.network === network) : await runningEndpoints(lab, hosts, network);
  const ns = new Set(await netnsList());
  const diffs: string[] = [];
  for (const host of hosts) {
    const sb = sandboxOf(lab, host, vni);
    const local = eps.filter((e) => e.host === host);
    if (local.length === 0) {
      if (ns.has(sb)) diffs.push(`${host}: sandbox ${sb} left behind with no local endpoint`);
      continue;
    }
    if (!ns.has(sb)) {
      diffs.push(`${host}: no sandbox ${sb} although ${local.map((e) => e.container).join(',')} run here`);
      continue;
    }
    const want = eps.filter((e) => e.host !== host);
    const k = await readPeers(sb);
    const fdb = new Set(k.fdb.map((f) => `${f.mac}>${f.vtep}`));
    const wantFdb = new Set(want.map((e) => `${e.mac}>${e.vtep}`));
    for (const f of fdb) if (!wantFdb.has(f)) diffs.push(`${host}: stale FDB ${f}`);
    for (const f of wantFdb) if (!fdb.has(f)) diffs.push(`${host}: missing FDB ${f}`);
    const neigh = new Map(k.neigh.map((n) => [n.ip, n]));
    for (const [ip, n] of neigh) if (!want.some((e) => e.ip === ip)) diffs.push(`${host}: stale neighbour ${ip} ${n.mac ?? ''}`);
    for (const e of want) {
      const n = neigh.get(e.ip);
      if (!n || n.mac !== e.mac || !n.permanent) diffs.push(`${host}: neighbour ${e.ip} should be ${e.mac} permanent, is ${n ? `${n.mac ?? '?'}${n.permanent ? ' permanent' : ''}` : 'missing'}`);
    }
    // The bridge learns nothing on the vxlan port: any non-permanent entry there would be stale one day.
    const learned = (await run(['bridge', '-n', sb, 'fdb', 'show', 'dev', 'vxlan0'])).stdout.split('\n')
      .filter((l) => l.includes('master') && !l.includes('permanent'));
    for (const l of learned) diffs.push(`${host}: learned bridge entry ${l.trim()}`);
  }
  return diffs;
}

/** No vxlan device outside sandboxes, and no sandbox or container namespace that nothing running accounts for. */
export async function orphanDiffs(lab: Lab, hosts: string[], sandboxesWanted: Map<string, number[]>): Promise<string[]> {
  const diffs: string[] = [];
  const all = await netnsList();
  for (const host of hosts) {
    const h = lab.host(host);
    const vx = (await run(['ip', '-n', h.netns, '-o', 'link', 'show', 'type', 'vxlan'])).stdout.trim();
    if (vx) diffs.push(`${host}: vxlan device in the host namespace: ${vx}`);
    const sbs = all.filter((n) => n.startsWith(`${h.netns}-ov-`)).map((n) => Number(n.slice(`${h.netns}-ov-`.length))).sort();
    const want = [...(sandboxesWanted.get(host) ?? [])].sort();
    if (JSON.stringify(sbs) !== JSON.stringify(want)) diffs.push(`${host}: sandboxes for VNIs ${sbs.join(',') || 'none'}, expected ${want.join(',') || 'none'}`);
    const running = (await lab.tsswarm(host, ['ps', '-q'])).stdout.split('\n').filter(Boolean).length;
    const ctrNs = all.filter((n) => n.startsWith(`${h.netns}-c`)).length;
    if (ctrNs !== running) diffs.push(`${host}: ${ctrNs} container namespaces for ${running} running containers`);
  }
  return diffs;
}
