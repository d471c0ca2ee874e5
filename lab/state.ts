// The lab's record on disk (<root>/<name>/lab.json): everything `up` made, so every
// other verb, and `down`, works from it in a later process.
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TsswarmError } from '../shared/errors.js';
import { LAB_ROOT } from './defaults.js';

/** The repository root, from this file's place in dist/lab/. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The compiled CLI the daemons and the shim run. */
export const CLI_JS = path.join(REPO_ROOT, 'dist', 'cli', 'tsswarm.js');

export type Role = 'manager' | 'worker';

export interface HostState {
  name: string;
  role: Role;
  /** Underlay address, without prefix length. */
  ip: string;
  netns: string;
  /** The hub-side end of the host's veth pair (in the hub namespace). */
  hubLink: string;
  /** The host-side end, inside `netns`. */
  link: string;
  dir: string;
  dataDir: string;
  /** Path of the daemon's API socket. */
  socket: string;
  log: string;
  /** The exact argv that starts the daemon (`ip netns exec NS node CLI daemon ...`); `restart` reuses it. */
  daemonArgv: string[];
  /** Pid of the daemon last started; null if none was (a --bare lab). */
  pid: number | null;
  partitioned: boolean;
}

export interface LabState {
  version: 1;
  name: string;
  dir: string;
  /** Prefix of every namespace and link the lab makes. */
  prefix: string;
  subnet: string;
  createdAt: string;
  repo: string;
  cli: string;
  /** Holds the `tsswarm` shim that `exec` puts first on PATH. */
  binDir: string;
  bare: boolean;
  formed: boolean;
  hub: { netns: string; bridge: string };
  /** Every namespace the lab makes, hub first. */
  netns: string[];
  /** Every link the lab makes outside the host namespaces (all in the hub). */
  links: { netns: string; name: string }[];
  hosts: HostState[];
}

export function labDir(name: string): string {
  return path.join(LAB_ROOT, name);
}

export function statePath(name: string): string {
  return path.join(labDir(name), 'lab.json');
}

/** Names of the labs with a state file, sorted. */
export async function listLabs(): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(LAB_ROOT);
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const e of entries.sort()) {
    if (await readFile(statePath(e)).then(() => true, () => false)) names.push(e);
  }
  return names;
}

export async function readState(name: string): Promise<LabState> {
  let text: string;
  try {
    text = await readFile(statePath(name), 'utf8');
  } catch {
    throw new TsswarmError('NotFound', `no lab named "${name}" (no ${statePath(name)}); start one with \`tsswarm lab up --name ${name}\``);
  }
  try {
    const s = JSON.parse(text) as LabState;
    if (s.version !== 1 || !Array.isArray(s.hosts)) throw new Error('unknown layout');
    return s;
  } catch (e) {
    throw new TsswarmError('Corrupt', `cannot read ${statePath(name)}: ${(e as Error).message}; remove what is left with \`tsswarm lab down --name ${name}\``);
  }
}

/** Writes the state whole: a crash mid-write leaves the previous version, never half a file. */
export async function writeState(s: LabState): Promise<void> {
  await mkdir(s.dir, { recursive: true });
  const file = statePath(s.name);
  const tmp = `${file}.tmp`;
  await writeFile(tmp, JSON.stringify(s, null, 2) + '\n');
  await rename(tmp, file);
}

export function findHost(s: LabState, host: string): HostState {
  const h = s.hosts.find((x) => x.name === host);
  if (!h) throw new TsswarmError('NotFound', `lab "${s.name}" has no host "${host}"; its hosts are ${s.hosts.map((x) => x.name).join(', ')}`);
  return h;
}
