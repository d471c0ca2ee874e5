// The structural rules docker-compose.yml and the Dockerfile must keep. No Docker engine
// runs here, so this is what stands between an edit and a cluster that cannot start:
// each function returns the problems it finds, in words, so a test can show them all.
import { statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { containsAddress, firstHost, formatCidr, isReservedAddress, parseCidr, parseIPv4, type Cidr } from '../../../shared/net/cidr.js';

export const NODES = ['m1', 'm2', 'm3', 'w1', 'w2'] as const;
/** m1 creates the swarm; the entry script's default MANAGER is m1:2377. */
export const ROLES: Record<string, string> = { m1: 'init', m2: 'manager', m3: 'manager', w1: 'worker', w2: 'worker' };
export const NODE_PORTS = ['4789/udp', '7946/tcp', '7946/udp'];
export const MANAGER_PORTS = ['2377/tcp'];

type Doc = Record<string, unknown>;

export function isRecord(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses as docker compose does: YAML with `<<` merge keys. Throws on invalid YAML. */
export function parseCompose(text: string): Doc {
  const doc: unknown = parse(text, { merge: true });
  if (!isRecord(doc)) throw new Error('docker-compose.yml is not a mapping');
  return doc;
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** "7946/udp" for every port the service exposes or publishes (container side). */
export function servicePorts(svc: Doc): Set<string> {
  const out = new Set<string>();
  const add = (port: string | number, proto: unknown): void => {
    out.add(`${port}/${typeof proto === 'string' && proto ? proto : 'tcp'}`);
  };
  for (const e of list(svc['expose'])) {
    if (typeof e === 'number') add(e, 'tcp');
    else if (typeof e === 'string') {
      const [port = '', proto] = e.split('/');
      add(port, proto);
    }
  }
  for (const p of list(svc['ports'])) {
    if (isRecord(p) && (typeof p['target'] === 'number' || typeof p['target'] === 'string')) add(p['target'], p['protocol']);
    else if (typeof p === 'string' || typeof p === 'number') {
      const [spec = '', proto] = String(p).split('/');
      add(spec.split(':').pop() ?? '', proto);
    }
  }
  return out;
}

export function serviceEnv(svc: Doc): Record<string, string> {
  const env = svc['environment'];
  const out: Record<string, string> = {};
  if (isRecord(env)) for (const [k, v] of Object.entries(env)) out[k] = String(v);
  for (const e of list(env)) {
    if (typeof e !== 'string') continue;
    const eq = e.indexOf('=');
    if (eq > 0) out[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return out;
}

function dependsOn(svc: Doc): string[] {
  const d = svc['depends_on'];
  if (isRecord(d)) return Object.keys(d);
  return list(d).filter((x): x is string => typeof x === 'string');
}

/** The Dockerfile a service builds from, as an absolute path, or why it has none. */
function buildDockerfile(svc: Doc, root: string): string | undefined {
  const b = svc['build'];
  if (typeof b === 'string') return path.resolve(root, b, 'Dockerfile');
  if (isRecord(b) && typeof b['context'] === 'string') {
    return path.resolve(root, b['context'], typeof b['dockerfile'] === 'string' ? b['dockerfile'] : 'Dockerfile');
  }
  return undefined;
}

/** Short volume syntax "source:target[:mode]" or the long one, as { source, target }. */
function mounts(svc: Doc): { source: string; target: string }[] {
  return list(svc['volumes']).flatMap((v) => {
    if (typeof v === 'string') {
      const [source = '', target = ''] = v.split(':');
      return [{ source, target }];
    }
    if (isRecord(v)) return [{ source: String(v['source'] ?? ''), target: String(v['target'] ?? '') }];
    return [];
  });
}

export function composeProblems(doc: Doc, root: string): string[] {
  const problems: string[] = [];
  const services = isRecord(doc['services']) ? doc['services'] : {};
  const names = Object.keys(services).sort();
  if (names.join(',') !== NODES.join(',')) problems.push(`services are ${names.join(',') || 'none'}, want ${NODES.join(',')}`);

  const nets = isRecord(doc['networks']) ? doc['networks'] : {};
  const underlay = isRecord(nets['underlay']) ? nets['underlay'] : undefined;
  const ipamConfig = isRecord(underlay?.['ipam']) ? list(underlay['ipam']['config']) : [];
  const first = ipamConfig[0];
  let subnet: Cidr | undefined;
  let gateway: number | undefined;
  if (!underlay) problems.push('no network "underlay"');
  else if (underlay['driver'] !== undefined && underlay['driver'] !== 'bridge') problems.push(`underlay's driver is ${String(underlay['driver'])}, want bridge`);
  if (!isRecord(first) || typeof first['subnet'] !== 'string') problems.push('underlay has no fixed ipam subnet');
  else {
    try {
      subnet = parseCidr(first['subnet']);
      // Docker gives the bridge the subnet's first host address unless told otherwise.
      gateway = typeof first['gateway'] === 'string' ? parseIPv4(first['gateway']) : firstHost(subnet);
    } catch (e) {
      problems.push(`underlay subnet: ${(e as Error).message}`);
    }
  }

  const volumes = isRecord(doc['volumes']) ? doc['volumes'] : {};
  const dockerfile = path.join(root, 'Dockerfile');
  const roles: string[] = [];
  const seenAddrs = new Map<string, string>();
  const seenData = new Map<string, string>();
  for (const name of NODES) {
    const svc = services[name];
    if (!isRecord(svc)) continue;
    const at = (what: string): void => void problems.push(`${name}: ${what}`);

    const df = buildDockerfile(svc, root);
    if (df !== dockerfile) at(`builds from ${df ?? 'nothing'}, want ${dockerfile}`);
    if (svc['hostname'] !== name) at(`hostname is ${String(svc['hostname'])}, want ${name}`);
    const caps = list(svc['cap_add']).map((c) => String(c).replace(/^CAP_/, ''));
    if (!caps.includes('NET_ADMIN')) at('no NET_ADMIN in cap_add');

    const role = serviceEnv(svc)['ROLE'] ?? '';
    roles.push(role);
    if (role !== ROLES[name]) at(`ROLE is "${role}", want "${ROLES[name]}"`);
    const ports = servicePorts(svc);
    const want = role === 'init' || role === 'manager' ? [...MANAGER_PORTS, ...NODE_PORTS] : NODE_PORTS;
    for (const p of want) if (!ports.has(p)) at(`does not expose ${p}`);
    if (name !== 'm1' && !dependsOn(svc).includes('m1')) at('does not depend on m1');

    const m = mounts(svc);
    const data = m.find((v) => v.target === '/var/lib/tsswarm');
    if (!data || !(data.source in volumes)) at('no named volume on /var/lib/tsswarm');
    else if (seenData.has(data.source)) at(`shares its data volume ${data.source} with ${seenData.get(data.source)}`);
    else seenData.set(data.source, name);
    if (!m.some((v) => v.target === '/tokens' && v.source === 'tokens') || !('tokens' in volumes)) at('no "tokens" volume on /tokens');

    const svcNets = isRecord(svc['networks']) ? svc['networks'] : {};
    const onUnderlay = svcNets['underlay'];
    const addrText = isRecord(onUnderlay) ? onUnderlay['ipv4_address'] : undefined;
    if (typeof addrText !== 'string') {
      at('no fixed ipv4_address on underlay');
      continue;
    }
    let addr: number;
    try {
      addr = parseIPv4(addrText);
    } catch (e) {
      at((e as Error).message);
      continue;
    }
    if (subnet && (!containsAddress(subnet, addr) || isReservedAddress(subnet, addr))) at(`${addrText} is not a host address of ${formatCidr(subnet)}`);
    if (addr === gateway) at(`${addrText} is the underlay's gateway`);
    const other = seenAddrs.get(addrText);
    if (other) at(`${addrText} is also ${other}'s address`);
    seenAddrs.set(addrText, name);
  }
  const count = (r: string): number => roles.filter((x) => x === r).length;
  if (count('init') !== 1 || count('manager') !== 2 || count('worker') !== 2) {
    problems.push(`roles are ${roles.join(',')}: want one init, two managers, two workers`);
  }
  return problems;
}

/** The entry script a Dockerfile names, as a path inside the repository. */
export function entryScript(dockerfileText: string): string | undefined {
  let workdir = '/';
  let entry: string | undefined;
  for (const line of dockerfileText.split('\n')) {
    const w = /^\s*WORKDIR\s+(\S+)/i.exec(line);
    if (w?.[1]) workdir = path.posix.resolve(workdir, w[1]);
    const e = /^\s*ENTRYPOINT\s+(\[.*\])\s*$/i.exec(line);
    if (e?.[1]) {
      const argv: unknown = JSON.parse(e[1]);
      if (Array.isArray(argv) && typeof argv[0] === 'string') entry = path.posix.resolve(workdir, argv[0]);
    }
  }
  // `COPY . .` puts the repository at WORKDIR.
  if (!entry || !entry.startsWith(`${workdir}/`)) return undefined;
  return entry.slice(workdir.length + 1);
}

export function dockerfileProblems(text: string, root: string): string[] {
  const problems: string[] = [];
  // Instructions only: comments may name anything, and continuation lines are joined.
  const code = text.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n').replace(/\\\n/g, ' ');
  const want: [RegExp, string][] = [
    [/^FROM\s+node:20-bookworm-slim\s*$/m, 'base image node:20-bookworm-slim'],
    [/^COPY\s+package\.json\s+package-lock\.json\s/m, 'the lockfile copied before the sources'],
    [/^RUN\b.*\bnpm ci\b/m, 'npm ci'],
    [/^RUN\b.*\bnpm run build\b/m, 'npm run build'],
    [/^RUN\b.*\bnpm prune --omit=dev\b/m, 'npm prune --omit=dev'],
  ];
  for (const [re, what] of want) if (!re.test(code)) problems.push(`Dockerfile lacks ${what}`);
  const install = /apt-get install((?:\s+[-\w.]+)+)/.exec(code)?.[1]?.trim().split(/\s+/) ?? [];
  for (const word of ['--no-install-recommends', 'iproute2', 'iputils-ping', 'nftables']) {
    if (!install.includes(word)) problems.push(`Dockerfile lacks ${word} in apt-get install`);
  }
  const entry = entryScript(text);
  if (!entry) return [...problems, 'Dockerfile has no ENTRYPOINT [...] inside its WORKDIR'];
  try {
    const st = statSync(path.join(root, entry));
    if (!st.isFile() || (st.mode & 0o111) === 0) problems.push(`${entry} is not an executable file`);
  } catch {
    problems.push(`${entry} (the ENTRYPOINT) does not exist`);
  }
  return problems;
}

export function dockerignoreProblems(text: string): string[] {
  const lines = new Set(text.split('\n').map((l) => l.trim().replace(/^\/|\/$/g, '')));
  return ['node_modules', 'dist', '.work'].filter((p) => !lines.has(p)).map((p) => `.dockerignore does not exclude ${p}`);
}
