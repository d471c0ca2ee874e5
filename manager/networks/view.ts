// A stored network as the Docker Engine API shows it (GET /networks and /networks/{id}).

import type { Endpoint, Labels, Network } from '../store/index.js';
import { DEFAULT_IPAM_DRIVER } from './defaults.js';

export interface NetworkIPAMConfigView {
  Subnet: string;
  Gateway?: string;
  IPRange?: string;
}

/** One container on the network, keyed by container id in NetworkView.Containers (Docker's EndpointResource). */
export interface NetworkContainerView {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  /** CIDR, e.g. "10.0.0.5/24". */
  IPv4Address: string;
  IPv6Address: '';
}

/** One host that has endpoints on the network, as Docker lists them. */
export interface PeerView {
  Name: string;
  IP: string;
}

/** Docker's network.Inspect (API v1.47, plus v1.48's EnableIPv4, which newer clients show). */
export interface NetworkView {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'swarm';
  Driver: string;
  EnableIPv4: true;
  EnableIPv6: false;
  IPAM: { Driver: string; Options: Labels | null; Config: NetworkIPAMConfigView[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: false;
  /** Containers attached to the network (manager/endpoints), on every node, by container id. */
  Containers: Record<string, NetworkContainerView>;
  Options: Labels;
  Labels: Labels;
  /** Filled in by the data plane later; empty until then. */
  Peers: PeerView[];
}

/**
 * Go's RFC3339Nano: the fraction without trailing zeros, and without the dot when it is
 * zero, so the store's "2024-01-02T03:04:05.500Z" reads "2024-01-02T03:04:05.5Z".
 */
export function rfc3339Nano(iso: string): string {
  return iso.replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits === '' ? 'Z' : `.${digits}Z`));
}

/** Docker's Containers map for network `n`; `endpoints` may hold other networks' too. */
export function containersView(n: Network, endpoints: readonly Endpoint[]): Record<string, NetworkContainerView> {
  const containers: Record<string, NetworkContainerView> = {};
  for (const e of endpoints) {
    if (e.spec.networkId !== n.id) continue;
    containers[e.spec.containerId] = { Name: e.spec.containerName, EndpointID: e.id, MacAddress: e.mac, IPv4Address: e.address, IPv6Address: '' };
  }
  return containers;
}

/** As `network inspect` shows it: with the containers attached (from every node). */
export function networkInspectView(n: Network, endpoints: readonly Endpoint[]): NetworkView {
  return { ...networkView(n), Containers: containersView(n, endpoints) };
}

/** As `network ls` shows it: Containers empty, as Docker lists networks. */
export function networkView(n: Network): NetworkView {
  const configs = n.ipam?.configs ?? n.spec.ipamOptions?.configs ?? [];
  return {
    Name: n.spec.name,
    Id: n.id,
    Created: rfc3339Nano(n.createdAt),
    Scope: 'swarm',
    Driver: n.driverState?.name ?? n.spec.driverConfiguration.name,
    EnableIPv4: true,
    EnableIPv6: false,
    IPAM: {
      Driver: n.ipam?.driver.name ?? n.spec.ipamOptions?.driver.name ?? DEFAULT_IPAM_DRIVER,
      Options: n.ipam?.driver.options ?? n.spec.ipamOptions?.driver.options ?? null,
      Config: configs.map((c) => ({
        Subnet: c.subnet ?? '',
        ...(c.gateway !== undefined ? { Gateway: c.gateway } : {}),
        ...(c.ipRange !== undefined ? { IPRange: c.ipRange } : {}),
      })),
    },
    Internal: n.spec.internal,
    Attachable: n.spec.attachable,
    Ingress: n.spec.ingress,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: {},
    Options: { ...(n.driverState?.options ?? n.spec.driverConfiguration.options ?? {}) },
    Labels: { ...(n.spec.labels ?? {}) },
    Peers: [],
  };
}
