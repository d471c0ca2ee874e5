// An endpoint as the API shows it: Docker-style PascalCase, with what a node needs to
// plug the container into the network's sandbox (VNI, subnet, gateway, MTU).

import { MTU_OPTION } from '../networks/defaults.js';
import { rfc3339Nano } from '../networks/view.js';
import type { Endpoint, Network } from '../store/index.js';
import { addressingFor } from './allocate.js';

export interface EndpointView {
  ID: string;
  NetworkID: string;
  NetworkName: string;
  NodeID: string;
  ContainerName: string;
  ContainerID: string;
  Aliases: string[];
  /** CIDR, e.g. "10.0.0.5/24". */
  IPAddress: string;
  /** The subnet's gateway: the address of the network's bridge in each node's sandbox. */
  Gateway: string;
  MacAddress: string;
  VNI: number;
  Subnet: string;
  /** Only when the network sets com.docker.network.driver.mtu. */
  MTU?: number;
  /** An internal network gives the container no route out (Docker's --internal). */
  Internal: boolean;
  /** Docker's EndpointSettings.IPAMConfig: what was asked for. */
  IPAMConfig: { IPv4Address: string } | null;
  /** RFC 3339 with nanoseconds, as Docker writes times. */
  Created: string;
}

export function endpointView(e: Endpoint, n: Network): EndpointView {
  const a = addressingFor(n, e.address);
  const mtu = n.driverState?.options?.[MTU_OPTION] ?? n.spec.driverConfiguration.options?.[MTU_OPTION];
  return {
    ID: e.id,
    NetworkID: n.id,
    NetworkName: n.spec.name,
    NodeID: e.spec.nodeId,
    ContainerName: e.spec.containerName,
    ContainerID: e.spec.containerId,
    Aliases: [...e.spec.aliases],
    IPAddress: e.address,
    Gateway: a?.gateway ?? '',
    MacAddress: e.mac,
    VNI: n.driverState?.vni ?? 0,
    Subnet: a?.subnet ?? '',
    ...(mtu !== undefined ? { MTU: Number(mtu) } : {}),
    Internal: n.spec.internal,
    IPAMConfig: e.spec.requestedAddress !== undefined ? { IPv4Address: e.spec.requestedAddress } : null,
    Created: rfc3339Nano(e.createdAt),
  };
}
