// The embedded DNS's view of names, built from networkdb's `dns` table: the container
// names and aliases on the networks the asking container is attached to, nothing else.
import { isIPv4, isIPv6 } from 'node:net';
import type { NetDb } from '../netdb/netdb.js';
import type { DnsValue } from '../netdb/types.js';
import type { DnsLookup } from './resolver.js';

/**
 * `networks` is read on every query, so attaching or detaching the container takes effect
 * at once. `tasks.<service>` is not answered here yet; being dotted, it is forwarded.
 */
export function netdbLookup(db: Pick<NetDb, 'entries'>, networks: () => readonly string[]): DnsLookup {
  const records = (): DnsValue[] => {
    const out: DnsValue[] = [];
    for (const n of networks()) for (const e of db.entries('dns', n)) if (e.table === 'dns' && e.value !== null) out.push(e.value);
    return out;
  };
  const named = (name: string, fam: (ip: string) => boolean): string[] => {
    const ips = new Set<string>();
    for (const v of records()) {
      if (!fam(v.ip)) continue;
      if (v.name.toLowerCase() === name || v.aliases.some((a) => a.toLowerCase() === name)) ips.add(v.ip);
    }
    return [...ips].sort();
  };
  return {
    ipv4: (name) => named(name, isIPv4),
    ipv6: (name) => named(name, isIPv6),
    ptr: (ip) => records().find((v) => v.ip === ip)?.name,
  };
}
