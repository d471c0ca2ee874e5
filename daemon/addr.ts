// Addresses a user gives to init/join, checked and completed as docker does:
// --listen-addr defaults to 0.0.0.0:2377; --advertise-addr may be an IP, IP:port or an
// interface name, and when absent is the host's one non-loopback IPv4 address.
import { networkInterfaces } from 'node:os';
import { isIPv4 } from 'node:net';
import { TsswarmError } from '../shared/errors.js';

export const DEFAULT_PORT = 2377;

export function parseHostPort(s: string, what: string, defaultPort = DEFAULT_PORT): { host: string; port: number } {
  const m = /^([^:\s]*)(?::(\d+))?$/.exec(s.trim());
  const host = m?.[1] ?? '';
  const port = m?.[2] === undefined ? defaultPort : Number(m[2]);
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) throw new TsswarmError('Invalid', `invalid ${what} "${s}": want host[:port]`);
  return { host, port };
}

function interfaceAddr(name: string): string | undefined {
  const addrs = networkInterfaces()[name];
  if (!addrs) return undefined;
  const v4 = addrs.filter((a) => a.family === 'IPv4');
  if (v4.length !== 1) throw new TsswarmError('Invalid', `interface ${name} has ${v4.length} IPv4 addresses; give --advertise-addr as an address`);
  return v4[0]!.address;
}

function autodetect(): string {
  const found: string[] = [];
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) found.push(`${a.address} on ${name}`);
  }
  if (found.length === 1) return found[0]!.split(' ')[0]!;
  if (found.length === 0) throw new TsswarmError('Invalid', 'could not choose an IP address to advertise: this host has no non-loopback IPv4 address; use --advertise-addr');
  throw new TsswarmError('Invalid', `could not choose an IP address to advertise since this system has multiple addresses (${found.join(', ')}); use --advertise-addr`);
}

export interface NodeAddrs {
  listenAddr: string;
  advertiseAddr: string;
  dataPathAddr: string;
}

export function resolveAddrs(o: { listenAddr?: string; advertiseAddr?: string; dataPathAddr?: string }): NodeAddrs {
  const listen = parseHostPort(o.listenAddr || `0.0.0.0:${DEFAULT_PORT}`, 'listen address');
  if (listen.host && !isIPv4(listen.host)) {
    const ip = interfaceAddr(listen.host);
    if (!ip) throw new TsswarmError('Invalid', `invalid listen address "${o.listenAddr}": not an IPv4 address or interface`);
    listen.host = ip;
  }
  if (!listen.host) listen.host = '0.0.0.0';
  let adv: { host: string; port: number };
  if (o.advertiseAddr) {
    adv = parseHostPort(o.advertiseAddr, 'advertise address', listen.port);
    if (!isIPv4(adv.host)) {
      const ip = interfaceAddr(adv.host);
      if (!ip) throw new TsswarmError('Invalid', `invalid advertise address "${o.advertiseAddr}": not an IPv4 address or interface`);
      adv.host = ip;
    }
  } else {
    adv = { host: listen.host !== '0.0.0.0' ? listen.host : autodetect(), port: listen.port };
  }
  let dataPath = adv.host;
  if (o.dataPathAddr) {
    const d = o.dataPathAddr.trim();
    dataPath = isIPv4(d) ? d : (interfaceAddr(d) ?? '');
    if (!dataPath) throw new TsswarmError('Invalid', `invalid data path address "${o.dataPathAddr}": not an IPv4 address or interface`);
  }
  return { listenAddr: `${listen.host}:${listen.port}`, advertiseAddr: `${adv.host}:${adv.port}`, dataPathAddr: dataPath };
}
