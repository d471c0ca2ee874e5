// `network create --subnet/--gateway/--ip-range`: pairs each gateway and range with the
// subnet that contains it, as docker's createIPAMConfig does, so the flags may come in
// any order. IPv4 only, as tsswarm's overlay is.
import { TsswarmError } from '../shared/errors.js';
import { containsAddress, formatCidr, networkOf, overlaps, parseHostCidr, parseIPv4, type Cidr } from '../shared/net/cidr.js';
import type { Ipam, IpamConfig } from './api-types.js';

export interface IpamFlags {
  driver: string;
  subnets: string[];
  gateways: string[];
  ipRanges: string[];
  options: Record<string, string>;
}

export function buildIpam(flags: IpamFlags): Ipam {
  const invalid = (msg: string): never => {
    throw new TsswarmError('Invalid', msg);
  };
  if (flags.subnets.length < flags.ipRanges.length || flags.subnets.length < flags.gateways.length) {
    invalid('every ip-range or gateway must have a corresponding subnet');
  }
  const subnets: { text: string; block: Cidr; config: IpamConfig }[] = [];
  for (const text of flags.subnets) {
    const block = networkOf(parseCidrLoose(text, 'subnet'));
    if (subnets.some((s) => overlaps(s.block, block))) invalid('multiple overlapping subnet configuration is not supported');
    subnets.push({ text, block, config: { Subnet: text } });
  }
  for (const text of flags.ipRanges) {
    // docker prints a range by its network ("10.0.1.7/24" is sent as "10.0.1.0/24").
    const range = networkOf(parseCidrLoose(text, 'ip-range'));
    const owner = subnets.find((s) => containsAddress(s.block, range.network));
    if (!owner) return invalid(`no matching subnet for range ${formatCidr(range)}`);
    if (owner.config.IPRange) {
      invalid(`cannot configure multiple ranges (${formatCidr(range)}, ${owner.config.IPRange}) on the same subnet (${owner.text})`);
    }
    owner.config.IPRange = formatCidr(range);
  }
  for (const text of flags.gateways) {
    const gateway = parseIPv4(text, 'gateway');
    const owner = subnets.find((s) => containsAddress(s.block, gateway));
    if (!owner) return invalid(`no matching subnet for gateway ${text}`);
    if (owner.config.Gateway) {
      invalid(`cannot configure multiple gateways (${text}, ${owner.config.Gateway}) for the same subnet (${owner.text})`);
    }
    owner.config.Gateway = text;
  }
  return { Driver: flags.driver, Config: subnets.map((s) => s.config), Options: flags.options };
}

function parseCidrLoose(text: string, what: string): ReturnType<typeof parseHostCidr> {
  try {
    return parseHostCidr(text);
  } catch (e) {
    throw new TsswarmError('Invalid', `invalid ${what}: ${(e as Error).message}`);
  }
}
