// What a caller may ask for when creating a network, and the checks that need nothing but
// the request itself. Everything refused here is refused before any store read or write.

import { TsswarmError } from '../../shared/errors.js';
import { parseCidr, parseIPv4 } from '../../shared/net/cidr.js';
import type { IPAMConfig, Labels, NetworkSpec } from '../store/index.js';
import {
  DEFAULT_IPAM_DRIVER, MAX_MTU, MAX_NETWORK_NAME_LENGTH, MIN_MTU, MTU_OPTION, NETWORK_NAME_PATTERN, OVERLAY_DRIVER,
  PREDEFINED_NETWORK_NAMES, VXLANID_OPTION,
} from './defaults.js';

export interface IPAMRequest {
  subnet?: string;
  ipRange?: string;
  gateway?: string;
  /** Docker's AuxiliaryAddresses; not supported, refused when not empty. */
  auxiliaryAddresses?: Labels;
}

/** Docker's NetworkCreateRequest in camelCase; absent fields take Docker's defaults. */
export interface CreateNetworkRequest {
  name: string;
  /** Default "overlay", the only driver there is. */
  driver?: string;
  labels?: Labels;
  /** Driver options, e.g. "encrypted" and "com.docker.network.driver.mtu". */
  options?: Labels;
  internal?: boolean;
  attachable?: boolean;
  ingress?: boolean;
  /** Docker's EnableIPv4; only true (or absent) is possible. */
  ipv4?: boolean;
  /** Docker's EnableIPv6; not supported. */
  ipv6?: boolean;
  /** Docker's Scope; only "swarm" (or absent). */
  scope?: string;
  /** Docker's ConfigOnly / ConfigFrom: config-only networks are not supported. */
  configOnly?: boolean;
  configFrom?: string;
  ipam?: { driver?: string; options?: Labels; configs?: IPAMRequest[] };
}

function invalid(message: string): never {
  throw new TsswarmError('Invalid', message);
}

function nonEmpty(labels: Labels | undefined): Labels | undefined {
  return labels && Object.keys(labels).length > 0 ? { ...labels } : undefined;
}

function present(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

function checkName(name: string): void {
  if (name === '') invalid('a network needs a name');
  if (PREDEFINED_NETWORK_NAMES.includes(name)) {
    throw new TsswarmError('Refused', `${name} is a pre-defined network and cannot be created`);
  }
  if (name.length > MAX_NETWORK_NAME_LENGTH) {
    invalid(`network name ${name} is too long: at most ${MAX_NETWORK_NAME_LENGTH} characters (it becomes a DNS name)`);
  }
  if (!NETWORK_NAME_PATTERN.test(name)) {
    invalid(`invalid network name ${JSON.stringify(name)}: use letters, digits, '-' and '_', starting and ending with a letter or digit`);
  }
}

function checkOptions(options: Labels | undefined): void {
  if (!options) return;
  const mtu = options[MTU_OPTION];
  if (mtu !== undefined) {
    const n = /^[0-9]+$/.test(mtu) ? Number(mtu) : NaN;
    if (!Number.isSafeInteger(n) || n < MIN_MTU || n > MAX_MTU) {
      invalid(`invalid ${MTU_OPTION} ${JSON.stringify(mtu)}: must be an integer from ${MIN_MTU} to ${MAX_MTU}`);
    }
  }
  requestedVni(options);
}

/**
 * The VNI asked for with Docker's vxlanid_list option, if any. Docker takes one VNI per
 * subnet; here a network has one VNI whatever its subnets, so the list must hold one.
 */
export function requestedVni(options: Labels | undefined): number | undefined {
  const text = options?.[VXLANID_OPTION];
  if (text === undefined) return undefined;
  if (!/^[0-9]+$/.test(text)) {
    invalid(`invalid ${VXLANID_OPTION} ${JSON.stringify(text)}: give one VXLAN ID (a network here has a single VNI)`);
  }
  return Number(text);
}

function checkIpamConfig(c: IPAMRequest, i: number): IPAMConfig {
  const subnet = present(c.subnet);
  const ipRange = present(c.ipRange);
  const gateway = present(c.gateway);
  for (const [what, v] of [['subnet', subnet], ['ip-range', ipRange], ['gateway', gateway]] as const) {
    if (v !== undefined && v.includes(':')) invalid(`IPv6 is not supported on overlay networks here: ${what} ${v}`);
  }
  if (c.auxiliaryAddresses && Object.keys(c.auxiliaryAddresses).length > 0) {
    invalid(`IPAM config ${i + 1}: auxiliary addresses are not supported`);
  }
  // Syntax only; whether the values fit together and with other networks is allocate.ts's job.
  if (subnet !== undefined) parseCidr(subnet);
  if (ipRange !== undefined) parseCidr(ipRange);
  if (gateway !== undefined) parseIPv4(gateway, 'gateway');
  const out: IPAMConfig = {};
  if (subnet !== undefined) out.subnet = subnet;
  if (ipRange !== undefined) out.ipRange = ipRange;
  if (gateway !== undefined) out.gateway = gateway;
  return out;
}

/**
 * Checks a request and returns the spec to store. Throws TsswarmError: Invalid for a
 * malformed or unsupported request, Refused for a pre-defined name.
 */
export function checkCreateRequest(req: CreateNetworkRequest): NetworkSpec {
  checkName(req.name);
  const driver = present(req.driver) ?? OVERLAY_DRIVER;
  if (driver !== OVERLAY_DRIVER) {
    invalid(`network driver "${driver}" is not supported: this cluster only creates "${OVERLAY_DRIVER}" networks (use -d ${OVERLAY_DRIVER})`);
  }
  const scope = present(req.scope);
  if (scope !== undefined && scope !== 'swarm') invalid(`network scope "${scope}" is not supported: overlay networks are swarm-scoped`);
  if (req.ipv6 === true) invalid('IPv6 is not supported on overlay networks here (EnableIPv6 must be false)');
  if (req.ipv4 === false) invalid('an overlay network needs IPv4 (EnableIPv4 must be true)');
  if (req.configOnly === true || present(req.configFrom) !== undefined) invalid('config-only networks (--config-only, --config-from) are not supported');
  const ingress = req.ingress === true;
  const attachable = req.attachable === true;
  if (ingress && attachable) invalid('an ingress network cannot be attachable');
  checkOptions(req.options);

  const ipamDriver = present(req.ipam?.driver) ?? DEFAULT_IPAM_DRIVER;
  if (ipamDriver !== DEFAULT_IPAM_DRIVER) {
    invalid(`IPAM driver "${ipamDriver}" is not supported: only "${DEFAULT_IPAM_DRIVER}"`);
  }
  const configs = (req.ipam?.configs ?? []).map(checkIpamConfig).filter((c) => Object.keys(c).length > 0);
  const ipamOptions = nonEmpty(req.ipam?.options);

  const options = nonEmpty(req.options);
  const labels = nonEmpty(req.labels);
  const spec: NetworkSpec = {
    name: req.name,
    driverConfiguration: options ? { name: OVERLAY_DRIVER, options } : { name: OVERLAY_DRIVER },
    ipv6Enabled: false,
    internal: req.internal === true,
    attachable,
    ingress,
  };
  if (labels) spec.labels = labels;
  if (req.ipam !== undefined) {
    spec.ipamOptions = { driver: ipamOptions ? { name: DEFAULT_IPAM_DRIVER, options: ipamOptions } : { name: DEFAULT_IPAM_DRIVER }, configs };
  }
  return spec;
}
