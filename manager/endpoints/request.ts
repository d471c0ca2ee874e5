// What a node may ask for when attaching a container, and the checks that need nothing
// but the request itself. Everything refused here is refused before any store read.

import { TsswarmError } from '../../shared/errors.js';
import { formatIPv4, parseIPv4 } from '../../shared/net/cidr.js';
import { ALIAS_PATTERN, CONTAINER_ID_PATTERN, CONTAINER_NAME_PATTERN, MAX_ALIASES, NODE_ID_PATTERN } from './defaults.js';

export interface AttachRequest {
  containerName: string;
  containerId: string;
  nodeId: string;
  aliases?: string[];
  /** A fixed address (`--ip`), bare dotted quad. */
  ipv4Address?: string;
}

/** A checked request: name without Docker's leading slash, address normalised. */
export interface CheckedAttach {
  containerName: string;
  containerId: string;
  nodeId: string;
  aliases: string[];
  ipv4Address?: string;
}

function invalid(message: string): never {
  throw new TsswarmError('Invalid', message);
}

/** Throws Invalid naming the field that is wrong. */
export function checkAttachRequest(req: AttachRequest): CheckedAttach {
  // Docker shows container names with a leading slash; it is not part of the name.
  const containerName = req.containerName.startsWith('/') ? req.containerName.slice(1) : req.containerName;
  if (!CONTAINER_NAME_PATTERN.test(containerName)) {
    invalid(`invalid container name ${JSON.stringify(req.containerName)}: letters, digits, '_', '.' and '-', starting with a letter or digit, up to 63`);
  }
  if (!CONTAINER_ID_PATTERN.test(req.containerId)) {
    invalid(`invalid container id ${JSON.stringify(req.containerId)}: lowercase letters and digits, up to 64`);
  }
  if (!NODE_ID_PATTERN.test(req.nodeId)) invalid(`invalid node id ${JSON.stringify(req.nodeId)}`);
  const aliases = req.aliases ?? [];
  if (aliases.length > MAX_ALIASES) invalid(`too many aliases (${aliases.length}): at most ${MAX_ALIASES}`);
  for (const a of aliases) if (!ALIAS_PATTERN.test(a)) invalid(`invalid alias ${JSON.stringify(a)}: a DNS name without spaces or commas`);
  const out: CheckedAttach = { containerName, containerId: req.containerId, nodeId: req.nodeId, aliases: [...aliases] };
  const ip = req.ipv4Address;
  if (ip !== undefined && ip !== '') {
    if (ip.includes(':')) invalid(`IPv6 is not supported on overlay networks here: IP address ${ip}`);
    out.ipv4Address = formatIPv4(parseIPv4(ip, 'IP address'));
  }
  return out;
}
