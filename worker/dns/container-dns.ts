// The embedded DNS of one container, as its own small process inside the container's
// network namespace (Node cannot enter a namespace, so the daemon starts this there):
// it answers on 127.0.0.11:53 from a records file the daemon rewrites whenever the
// gossiped `dns` table of the container's networks changes. Unknown single labels are
// NXDOMAIN; other unknown names go, when RELAY_SOCKET is given, through that unix socket to
// the daemon's relay (relay.ts), which asks the host's resolvers from the host namespace
// this process cannot reach. Without RELAY_SOCKET, or when the relay fails, they get SERVFAIL.
//   node container-dns.js RECORDS_FILE [RELAY_SOCKET]
import { readFileSync, watch } from 'node:fs';
import path from 'node:path';
import { isIPv4 } from 'node:net';
import { relayForwarder } from './relay-client.js';
import { startDnsServer } from './server.js';
import { EMBEDDED_DNS_ADDRESS } from './defaults.js';
import type { DnsLookup } from './resolver.js';

export interface DnsRecordsFile {
  records: { name: string; aliases: string[]; ip: string }[];
}

/** Lookup over the records; names compare case-insensitively, as DNS does. */
export function recordsLookup(get: () => DnsRecordsFile['records']): DnsLookup {
  const named = (name: string): string[] => {
    const n = name.toLowerCase();
    const ips = new Set<string>();
    for (const r of get()) if (isIPv4(r.ip) && (r.name.toLowerCase() === n || r.aliases.some((a) => a.toLowerCase() === n))) ips.add(r.ip);
    return [...ips].sort();
  };
  return { ipv4: named, ipv6: () => [], ptr: (ip) => get().find((r) => r.ip === ip)?.name };
}

async function main(): Promise<void> {
  const file = process.argv[2];
  const relaySocket = process.argv[3];
  if (!file) throw new Error('usage: container-dns.js RECORDS_FILE [RELAY_SOCKET]');
  let records: DnsRecordsFile['records'] = [];
  const load = (): void => {
    try {
      records = (JSON.parse(readFileSync(file, 'utf8')) as DnsRecordsFile).records ?? [];
    } catch {
      // Mid-rewrite or not there yet: keep the last good records.
    }
  };
  load();
  // The daemon replaces the file by rename, so watch the directory, not the inode.
  watch(path.dirname(file), (_ev, name) => {
    if (name === path.basename(file)) load();
  });
  const forward = relaySocket ? relayForwarder(relaySocket) : undefined;
  const server = await startDnsServer({ host: EMBEDDED_DNS_ADDRESS, port: 53, lookup: recordsLookup(() => records), forward });
  process.on('SIGTERM', () => void server.close().then(() => {
    forward?.close();
    process.exit(0);
  }));
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  main().catch((e: unknown) => {
    console.error(`container-dns: ${(e as Error).message}`);
    process.exit(1);
  });
}
