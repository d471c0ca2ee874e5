// A VXLAN endpoint built by hand with plain `ip` and `bridge` commands, as an
// administrator (or another implementation) would, with no tsswarm code: a vxlan device
// and a bridge in the host's own namespace, a veth into a container namespace. Used as a
// foreign VTEP for wire compatibility and as the kernel anchor of bench:dataplane.
import { run } from '../../shared/run.js';

/** Plain iproute2 calls take milliseconds; 20 s only bounds a stuck one. */
const CMD_TIMEOUT_MS = 20_000;

export interface HandVtep {
  /** The host namespace (underlay on its eth0). */
  hostNetns: string;
  /** The host's underlay address. */
  vtep: string;
  vni: number;
  /** Inner MTU of the vxlan device, bridge, and both veth ends. */
  mtu: number;
  /** The container namespace, made and removed by buildHandVtep/removeHandVtep. */
  containerNetns: string;
  /** The container's address and prefix length, e.g. "10.0.0.9/24". */
  cidr: string;
  mac: string;
}

/** A remote endpoint for the hand-built side: overlay address, MAC, and the VTEP of its host. */
export interface HandPeer {
  ip: string;
  mac: string;
  vtep: string;
}

async function sh(argv: string[]): Promise<string> {
  const r = await run(argv, { timeoutMs: CMD_TIMEOUT_MS });
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr.trim() || `exit ${r.code}`}`);
  return r.stdout;
}

/** Link names in the host namespace; the VNI keeps two hand-built networks on one host apart. */
export function handLinks(vni: number): { vxlan: string; bridge: string; veth: string } {
  return { vxlan: `hvx${vni}`, bridge: `hbr${vni}`, veth: `hve${vni}` };
}

/** Builds the endpoint; on failure removes what it made and throws. */
export async function buildHandVtep(v: HandVtep): Promise<void> {
  const { vxlan, bridge, veth } = handLinks(v.vni);
  const h = v.hostNetns;
  await sh(['ip', 'netns', 'add', v.containerNetns]);
  try {
    await sh(['ip', '-n', h, 'link', 'add', vxlan, 'mtu', String(v.mtu), 'type', 'vxlan', 'id', String(v.vni),
      'dstport', '4789', 'local', v.vtep, 'nolearning']);
    await sh(['ip', '-n', h, 'link', 'add', bridge, 'mtu', String(v.mtu), 'type', 'bridge']);
    await sh(['ip', '-n', h, 'link', 'set', vxlan, 'master', bridge]);
    await sh(['ip', '-n', h, 'link', 'add', veth, 'mtu', String(v.mtu), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', v.containerNetns]);
    await sh(['ip', '-n', h, 'link', 'set', veth, 'master', bridge]);
    for (const l of [vxlan, bridge, veth]) await sh(['ip', '-n', h, 'link', 'set', l, 'up']);
    const c = v.containerNetns;
    await sh(['ip', '-n', c, 'link', 'set', 'lo', 'up']);
    await sh(['ip', '-n', c, 'link', 'set', 'eth0', 'address', v.mac, 'mtu', String(v.mtu)]);
    await sh(['ip', '-n', c, 'addr', 'add', v.cidr, 'dev', 'eth0']);
    await sh(['ip', '-n', c, 'link', 'set', 'eth0', 'up']);
  } catch (e) {
    await removeHandVtep(v).catch(() => undefined);
    throw e;
  }
}

/**
 * Static entries for one remote endpoint: the vxlan device's FDB sends its MAC to its VTEP,
 * and the container's neighbour table resolves its address (no ARP crosses the underlay,
 * since no flood entry exists).
 */
export async function addHandPeer(v: HandVtep, p: HandPeer): Promise<void> {
  await sh(['bridge', '-n', v.hostNetns, 'fdb', 'replace', p.mac, 'dev', handLinks(v.vni).vxlan, 'dst', p.vtep, 'self', 'permanent']);
  await sh(['ip', '-n', v.containerNetns, 'neigh', 'replace', p.ip, 'lladdr', p.mac, 'dev', 'eth0', 'nud', 'permanent']);
}

/** Removes the endpoint's links and container namespace; what is gone already is no error. */
export async function removeHandVtep(v: Pick<HandVtep, 'hostNetns' | 'vni' | 'containerNetns'>): Promise<void> {
  const problems: string[] = [];
  for (const l of Object.values(handLinks(v.vni))) {
    const shown = await run(['ip', '-n', v.hostNetns, 'link', 'show', 'dev', l], { timeoutMs: CMD_TIMEOUT_MS });
    if (shown.code !== 0) continue;
    const r = await run(['ip', '-n', v.hostNetns, 'link', 'del', l], { timeoutMs: CMD_TIMEOUT_MS });
    // A veth is gone once its peer's namespace is; that race is not a failure.
    if (r.code !== 0 && !/Cannot find device/.test(r.stderr)) problems.push(`${l}: ${r.stderr.trim()}`);
  }
  const listed = await sh(['ip', 'netns', 'list']);
  if (listed.split('\n').some((line) => line.split(' ')[0] === v.containerNetns)) {
    const r = await run(['ip', 'netns', 'del', v.containerNetns], { timeoutMs: CMD_TIMEOUT_MS });
    if (r.code !== 0) problems.push(`netns ${v.containerNetns}: ${r.stderr.trim()}`);
  }
  if (problems.length > 0) throw new Error(`removing hand-built VNI ${v.vni} in ${v.hostNetns} left: ${problems.join('; ')}`);
}
