// The lab's verbs: up, status, exec, down and the faults. The CLI and the test harness
// both call these, so tests exercise exactly what users run.
import { mkdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { TsswarmError } from '../shared/errors.js';
import { DEFAULT_LAB_NAME, DEFAULT_LAB_ROOT, LAB_ROOT } from './defaults.js';
import { baseEnv, isLabDaemon, killHard, startDaemon, terminate, waitReady } from './daemon.js';
import { planHosts } from './hosts.js';
import { addNetns, delNetns, inNetns, listNetns, netnsPids } from './netns.js';
import { bridgeName, hubNetns, labPrefix, underlaySubnet, validateLabName } from './names.js';
import { hostEnv, writeShim } from './shim.js';
import { CLI_JS, REPO_ROOT, findHost, labDir, listLabs, readState, writeState, type HostState, type LabState } from './state.js';
import { formSwarm } from './swarm.js';
import { createBridge, deleteLink, isOnBridge, listLinks, plugHost, replugIntoBridge, unplugFromBridge } from './underlay.js';

export type Log = (line: string) => void;
const quiet: Log = () => undefined;

export interface UpOptions {
  name: string;
  managers: number;
  workers: number;
  /** Namespaces and underlay only, no daemons. */
  bare: boolean;
  /** Start daemons but leave forming the swarm to the caller. */
  form: boolean;
  /** The daemons' --dns-upstream: "none" (default) or addresses inside the lab. */
  dnsUpstream?: string;
  /** The daemons' --gossip-key-rotation; default theirs (12 h). */
  gossipKeyRotation?: string;
  log?: Log;
}

/** What of a lab with this name exists: its directory, and namespaces carrying its prefix. */
export async function labLeftovers(name: string): Promise<{ dir: boolean; netns: string[] }> {
  validateLabName(name);
  const dir = await stat(labDir(name)).then(() => true, () => false);
  const netns = (await listNetns()).filter((n) => n.startsWith(labPrefix(name)));
  return { dir, netns };
}

/** Makes the lab's directory; of two racing `up`s with one name, exactly one gets it. */
async function claimDir(name: string, dir: string): Promise<void> {
  // Twice: a `down` of another lab may remove the empty root between our two mkdirs.
  for (let attempt = 0; ; attempt++) {
    await mkdir(LAB_ROOT, { recursive: true });
    try {
      await mkdir(dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new TsswarmError('NameExists', `a lab named "${name}" already exists (${dir}); pick another --name`);
      if (code !== 'ENOENT' || attempt > 0) throw e;
    }
  }
}

export async function up(o: UpOptions): Promise<LabState> {
  const log = o.log ?? quiet;
  validateLabName(o.name);
  const dir = labDir(o.name);
  const hosts = planHosts(o.name, dir, CLI_JS, o.managers, o.workers, o.dnsUpstream ?? 'none', o.gossipKeyRotation);
  if (!o.bare && !(await stat(CLI_JS).then(() => true, () => false))) {
    throw new TsswarmError('Invalid', `${CLI_JS} is missing; build first with \`npx tsc -p tsconfig.json\` (or use --bare)`);
  }
  const left = await labLeftovers(o.name);
  if (left.dir || left.netns.length > 0) {
    const what = [left.dir ? dir : '', ...left.netns.map((n) => `netns ${n}`)].filter(Boolean).join(', ');
    throw new TsswarmError('NameExists', `a lab named "${o.name}" already exists (${what}); pick another --name or remove it with \`tsswarm lab down --name ${o.name}\``);
  }
  await claimDir(o.name, dir);

  const hub = { netns: hubNetns(o.name), bridge: bridgeName(o.name) };
  const s: LabState = {
    version: 1,
    name: o.name,
    dir,
    prefix: labPrefix(o.name),
    subnet: underlaySubnet(o.name),
    createdAt: new Date().toISOString(),
    repo: REPO_ROOT,
    cli: CLI_JS,
    binDir: path.join(dir, 'bin'),
    bare: o.bare,
    formed: false,
    hub,
    netns: [hub.netns, ...hosts.map((h) => h.netns)],
    links: [{ netns: hub.netns, name: hub.bridge }, ...hosts.map((h) => ({ netns: hub.netns, name: h.hubLink }))],
    hosts,
  };
  try {
    // Recorded before anything is made, so a crash halfway still leaves a `down` that finds it all.
    await writeState(s);
    await writeShim(s.binDir, s.cli);
    log(`lab ${o.name}: underlay ${s.subnet} on bridge ${hub.bridge} in netns ${hub.netns}`);
    await addNetns(hub.netns);
    await createBridge(hub.netns, hub.bridge);
    for (const h of hosts) {
      await addNetns(h.netns);
      await plugHost(hub.netns, hub.bridge, h.hubLink, h.netns, h.ip);
      await mkdir(h.dir, { recursive: true });
    }
    if (!o.bare) {
      for (const h of hosts) {
        h.pid = await startDaemon(o.name, h);
        await writeState(s);
      }
      log(`lab ${o.name}: waiting for ${hosts.length} daemons`);
      await Promise.all(hosts.map((h) => waitReady(o.name, h)));
      if (o.form) {
        await formSwarm(s, log);
        s.formed = true;
        await writeState(s);
      }
    }
    return s;
  } catch (e) {
    const undo = await down(o.name);
    const note = undo.failures.length === 0
      ? 'everything it made was removed'
      : `cleaning up also failed: ${undo.failures.join('; ')}`;
    const err = e instanceof TsswarmError ? e : new TsswarmError('Unavailable', (e as Error).message);
    err.message = `lab up failed: ${err.message}\n(${note})`;
    throw err;
  }
}

/** The lab `name` refers to: the given one, else the only lab, else "lab" if it is among several. */
export async function resolveLabName(given: string | undefined): Promise<string> {
  if (given !== undefined) {
    validateLabName(given);
    return given;
  }
  const labs = await listLabs();
  if (labs.length === 1) return labs[0]!;
  if (labs.length === 0) throw new TsswarmError('NotFound', 'no lab is up; start one with `tsswarm lab up`');
  if (labs.includes(DEFAULT_LAB_NAME)) return DEFAULT_LAB_NAME;
  throw new TsswarmError('Invalid', `several labs are up (${labs.join(', ')}); pick one with --name`);
}

export interface HostStatus {
  host: HostState;
  /** "running" with pid, "dead", or "none" in a --bare lab. */
  daemon: 'running' | 'dead' | 'none';
  /** Whether the host is on the underlay bridge; "missing" if its link is gone. */
  link: 'connected' | 'partitioned' | 'missing';
}

export async function status(name: string): Promise<{ lab: LabState; hosts: HostStatus[] }> {
  const s = await readState(name);
  const hosts = await Promise.all(s.hosts.map(async (h): Promise<HostStatus> => {
    const daemon = s.bare || h.pid === null ? 'none' : (await isLabDaemon(s.name, h, h.pid)) ? 'running' : 'dead';
    const on = await isOnBridge(s.hub.netns, s.hub.bridge, h.hubLink);
    return { host: h, daemon, link: on === undefined ? 'missing' : on ? 'connected' : 'partitioned' };
  }));
  return { lab: s, hosts };
}

/** The argv and environment that run argv on a host (inside its namespace, clients pointed at its daemon). */
export async function execCommand(name: string, host: string, argv: string[]): Promise<{ argv: string[]; env: NodeJS.ProcessEnv }> {
  if (argv.length === 0) throw new TsswarmError('Invalid', 'nothing to run: give a command after --, e.g. `tsswarm lab exec m1 -- tsswarm node ls`');
  const s = await readState(name);
  const h = findHost(s, host);
  return { argv: inNetns(h.netns, argv), env: hostEnv(s, h, baseEnv()) };
}

export async function partition(name: string, host: string): Promise<void> {
  const s = await readState(name);
  const h = findHost(s, host);
  if ((await isOnBridge(s.hub.netns, s.hub.bridge, h.hubLink)) === false) return;
  await unplugFromBridge(s.hub.netns, h.hubLink);
}

export async function heal(name: string, host: string): Promise<void> {
  const s = await readState(name);
  const h = findHost(s, host);
  if ((await isOnBridge(s.hub.netns, s.hub.bridge, h.hubLink)) === true) return;
  await replugIntoBridge(s.hub.netns, s.hub.bridge, h.hubLink);
}

function needDaemons(s: LabState): void {
  if (s.bare) throw new TsswarmError('Invalid', `lab "${s.name}" was started with --bare: its hosts have no daemons`);
}

/** SIGKILL the host's daemon, as a crash. Returns the pid killed. */
export async function kill(name: string, host: string): Promise<number> {
  const s = await readState(name);
  needDaemons(s);
  const h = findHost(s, host);
  if (h.pid === null || !(await isLabDaemon(s.name, h, h.pid))) {
    throw new TsswarmError('Conflict', `the daemon of ${host} is not running; start it with \`tsswarm lab restart --name ${s.name} ${host}\``);
  }
  const left = await killHard([h.pid]);
  if (left.length > 0) throw new TsswarmError('Unavailable', `pid ${h.pid} (daemon of ${host}) survived SIGKILL`);
  return h.pid;
}

/** Starts the host's daemon again with its recorded argv and data dir, and waits for /_ping. Returns the new pid. */
export async function restart(name: string, host: string): Promise<number> {
  const s = await readState(name);
  needDaemons(s);
  const h = findHost(s, host);
  if (h.pid !== null && (await isLabDaemon(s.name, h, h.pid))) {
    throw new TsswarmError('Conflict', `the daemon of ${host} is already running (pid ${h.pid}); stop it first with \`tsswarm lab kill --name ${s.name} ${host}\``);
  }
  h.pid = await startDaemon(s.name, h);
  // Re-read so a concurrent change to another host is not overwritten with our older copy.
  const fresh = await readState(name);
  findHost(fresh, host).pid = h.pid;
  await writeState(fresh);
  await waitReady(s.name, h);
  return h.pid;
}

export interface DownReport {
  /** Nothing of the lab was found. */
  nothing: boolean;
  removed: string[];
  failures: string[];
}

/** Runs a removal; if it fails but the thing is gone anyway (someone else removed it meanwhile), that is success. */
async function unlessGone(remove: () => Promise<void>, stillThere: () => Promise<boolean>): Promise<void> {
  try {
    await remove();
  } catch (e) {
    if (await stillThere().catch(() => true)) throw e;
  }
}

/** This process and its ancestors: `lab down` run from a lab shell must not kill itself. */
async function selfAndAncestors(): Promise<Set<number>> {
  const pids = new Set<number>();
  let pid = process.pid;
  while (pid > 1 && !pids.has(pid)) {
    pids.add(pid);
    const st = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    pid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isInteger(pid)) break;
  }
  return pids;
}

/**
 * Removes the lab: daemons (SIGTERM, SIGKILL after a grace period), anything else
 * running in its namespaces, its links, namespaces and directory. Best effort: every
 * step is tried whatever failed before, and failures are reported, not thrown.
 */
export async function down(name: string): Promise<DownReport> {
  validateLabName(name);
  const removed: string[] = [];
  const failures: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
      removed.push(what);
    } catch (e) {
      failures.push(`${what}: ${(e as Error).message}`);
    }
  };

  const s = await readState(name).catch(() => null);
  const dirThere = await stat(labDir(name)).then(() => true, () => false);
  const allNetns = await listNetns().catch((e: unknown) => {
    failures.push(`listing namespaces: ${(e as Error).message}`);
    return [] as string[];
  });
  const prefix = labPrefix(name);
  // The recorded ones, plus any with the lab's prefix (from a run whose record was lost).
  const netns = [...new Set([...(s?.netns ?? []), ...allNetns.filter((n) => n.startsWith(prefix))])].filter((n) => allNetns.includes(n));

  if (s) {
    const ours: number[] = [];
    for (const h of s.hosts) {
      if (h.pid !== null && (await isLabDaemon(s.name, h, h.pid))) ours.push(h.pid);
    }
    if (ours.length > 0) {
      await attempt(`daemons (pids ${ours.join(' ')})`, async () => {
        const left = await terminate(ours);
        if (left.length > 0) throw new Error(`pids ${left.join(' ')} survived SIGKILL`);
      });
    }
  }

  const spared = await selfAndAncestors();
  for (const ns of netns) {
    const pids = (await netnsPids(ns).catch(() => [] as number[])).filter((p) => !spared.has(p));
    if (pids.length > 0) {
      await attempt(`processes in ${ns} (pids ${pids.join(' ')})`, async () => {
        const left = await terminate(pids);
        if (left.length > 0) throw new Error(`pids ${left.join(' ')} survived SIGKILL`);
      });
    }
  }

  // Links first: deleting a veth end takes its peer with it at once, while a deleted
  // namespace is torn down by the kernel in the background.
  const hub = s?.hub.netns ?? hubNetns(name);
  if (netns.includes(hub)) {
    const present = await listLinks(hub).catch(() => new Map<string, string>());
    const links = s?.links.filter((l) => l.netns === hub).map((l) => l.name) ?? [...present.keys()].filter((n) => n.startsWith(prefix));
    // Veths before the bridge they hang on.
    for (const l of links.filter((n) => present.has(n)).reverse()) {
      await attempt(`link ${l}`, () => unlessGone(() => deleteLink(hub, l), async () => (await listNetns()).includes(hub) && (await listLinks(hub)).has(l)));
    }
  }
  for (const ns of netns) await attempt(`netns ${ns}`, () => unlessGone(() => delNetns(ns), async () => (await listNetns()).includes(ns)));

  if (dirThere) await attempt(`directory ${labDir(name)}`, () => rm(labDir(name), { recursive: true, force: true }));
  // The lab root (and /var/lib/tsswarm above the default one) may exist only for labs; leave no empty husk.
  await rmdir(LAB_ROOT).catch(() => undefined);
  if (LAB_ROOT === DEFAULT_LAB_ROOT) await rmdir(path.dirname(LAB_ROOT)).catch(() => undefined);

  return { nothing: !s && !dirThere && netns.length === 0, removed, failures };
}
