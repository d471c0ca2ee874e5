// The underlay: a bridge in the lab's own hub namespace and one veth pair per host,
// hub end on the bridge, host end as eth0 in the host's namespace. Nothing is created
// in the root namespace, so the machine's own networking is never touched.
import { HOST_LINK, UNDERLAY_PREFIX_LEN } from './defaults.js';
import { ip } from './run.js';

export async function createBridge(hubNs: string, bridge: string): Promise<void> {
  await ip(['-n', hubNs, 'link', 'add', bridge, 'type', 'bridge']);
  // The hub only switches frames; an IPv6 link-local address would make it a party on the underlay.
  await ip(['-n', hubNs, 'link', 'set', bridge, 'addrgenmode', 'none']);
  await ip(['-n', hubNs, 'link', 'set', bridge, 'up']);
}

/** Plugs a host into the bridge: a veth pair made in the hub with its peer born inside the host's namespace. */
export async function plugHost(hubNs: string, bridge: string, hubLink: string, hostNs: string, address: string): Promise<void> {
  await ip(['-n', hubNs, 'link', 'add', hubLink, 'type', 'veth', 'peer', 'name', HOST_LINK, 'netns', hostNs]);
  await ip(['-n', hubNs, 'link', 'set', hubLink, 'addrgenmode', 'none']);
  await ip(['-n', hubNs, 'link', 'set', hubLink, 'master', bridge]);
  await ip(['-n', hubNs, 'link', 'set', hubLink, 'up']);
  await ip(['-n', hostNs, 'addr', 'add', `${address}/${UNDERLAY_PREFIX_LEN}`, 'dev', HOST_LINK]);
  await ip(['-n', hostNs, 'link', 'set', HOST_LINK, 'up']);
}

/**
 * Cuts a host off: its hub-side veth leaves the bridge. Frames from the host reach a
 * port that forwards nowhere and nothing reaches it, while its own link stays up —
 * packets vanish as in a real partition, instead of failing fast on a dead carrier.
 */
export async function unplugFromBridge(hubNs: string, hubLink: string): Promise<void> {
  await ip(['-n', hubNs, 'link', 'set', hubLink, 'nomaster']);
}

export async function replugIntoBridge(hubNs: string, bridge: string, hubLink: string): Promise<void> {
  await ip(['-n', hubNs, 'link', 'set', hubLink, 'master', bridge]);
}

/** Whether the hub-side veth is on the bridge (false: partitioned); undefined if the link is gone. */
export async function isOnBridge(hubNs: string, bridge: string, hubLink: string): Promise<boolean | undefined> {
  const links = await listLinks(hubNs).catch(() => new Map<string, string>());
  const line = links.get(hubLink);
  if (line === undefined) return undefined;
  return line.includes(` master ${bridge} `);
}

/** Links of a namespace by name, each with its `ip -o link` line. */
export async function listLinks(ns: string): Promise<Map<string, string>> {
  const out = await ip(['-n', ns, '-o', 'link', 'show']);
  const links = new Map<string, string>();
  for (const line of out.split('\n')) {
    // "3: tslab-m1@if2: <BROADCAST,...> ..." — the name ends at "@" (veth peer) or ":".
    const m = /^\d+:\s+([^:@\s]+)[@:]/.exec(line);
    if (m) links.set(m[1]!, line);
  }
  return links;
}

/** Deletes a link; deleting one end of a veth pair deletes both. */
export async function deleteLink(ns: string, link: string): Promise<void> {
  await ip(['-n', ns, 'link', 'del', link]);
}
