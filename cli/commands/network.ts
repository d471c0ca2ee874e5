// `tsswarm network create|ls|inspect|rm|prune`.
import type { Command } from 'commander';
import type { Network, NetworkCreateRequest } from '../api-types.js';
import { formatOutput } from '../format/ids.js';
import { goTimeString } from '../gotime.js';
import { printInspect } from '../inspect.js';
import { buildIpam } from '../ipam.js';
import { confirm, reportError, type CliIo } from '../io.js';
import { collect, collectCommaList, collectFilter, collectLabel, kvToMap, type Filters } from '../opts.js';
import { sortNaturally } from '../sort.js';
import { clientFor, labelsText, quietApplies, verb } from './common.js';

/** tsswarm's networks span the swarm, so overlay is the default rather than docker's bridge. */
const DEFAULT_DRIVER = 'overlay';

const NETWORK_TABLE = 'table {{.ID}}\\t{{.Name}}\\t{{.Driver}}\\t{{.Scope}}';
const NETWORK_RAW_FORMAT = 'network_id: {{.ID}}\\nname: {{.Name}}\\ndriver: {{.Driver}}\\nscope: {{.Scope}}\\n';

const INGRESS_WARNING =
  'WARNING! Before removing the routing-mesh network, make sure all the nodes in your swarm run the same tsswarm version. ' +
  'Otherwise, removal may not be effective and functionality of newly create ingress networks will be impaired.\n' +
  'Are you sure you want to continue?';

const PRUNE_WARNING =
  'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?';

export interface NetworkCreateOpts {
  driver: string;
  opt?: string[];
  label?: string[];
  internal?: boolean;
  attachable?: boolean;
  ingress?: boolean;
  ipv6?: boolean;
  subnet?: string[];
  gateway?: string[];
  ipRange?: string[];
  ipamDriver: string;
  ipamOpt?: string[];
}

export function networkCreateRequest(name: string, o: NetworkCreateOpts): NetworkCreateRequest {
  return {
    Name: name,
    Driver: o.driver,
    Internal: o.internal === true,
    Attachable: o.attachable === true,
    Ingress: o.ingress === true,
    EnableIPv6: o.ipv6 === true,
    IPAM: buildIpam({
      driver: o.ipamDriver,
      subnets: o.subnet ?? [],
      gateways: o.gateway ?? [],
      ipRanges: o.ipRange ?? [],
      options: kvToMap(o.ipamOpt),
    }),
    Options: kvToMap(o.opt),
    Labels: kvToMap(o.label),
    CheckDuplicate: true,
  };
}

/** A row of `network ls`: docker's network formatter fields, keys in its JSON order. */
export function networkRow(n: Network): Record<string, unknown> {
  return {
    CreatedAt: goTimeString(n.Created),
    Driver: n.Driver ?? '',
    ID: n.Id,
    IPv4: String(n.EnableIPv4 === true),
    IPv6: String(n.EnableIPv6 === true),
    Internal: String(n.Internal === true),
    Labels: labelsText(n.Labels),
    Name: n.Name,
    Scope: n.Scope ?? '',
  };
}

export function formatNetworks(networks: Network[], o: { quiet?: boolean; format?: string; noTrunc?: boolean }): string {
  const rows = sortNaturally(networks, (n) => n.Name, (n) => n.Id).map(networkRow);
  return formatOutput(
    {
      format: o.format === 'raw' ? NETWORK_RAW_FORMAT : o.format,
      quiet: quietApplies(o.quiet, o.format),
      noTrunc: o.noTrunc,
      defaultTable: NETWORK_TABLE,
      headers: { ID: 'NETWORK ID' },
    },
    rows,
  );
}

export function registerNetworkCommands(program: Command, io: CliIo): void {
  const network = program.command('network').description('Manage networks');

  network
    .command('create')
    .description('Create a network')
    .argument('<network>', 'name of the new network')
    .option('-d, --driver <driver>', 'Driver to manage the Network', DEFAULT_DRIVER)
    .option('-o, --opt <key=value>', 'Set driver specific options (repeatable; "--opt encrypted" enables encryption)', collect)
    .option('--label <key=value>', 'Set metadata on a network (repeatable)', collectLabel)
    .option('--internal', 'Restrict external access to the network')
    .option('--attachable', 'Enable manual container attachment')
    .option('--ingress', 'Create swarm routing-mesh network')
    .option('--ipv6', 'Enable IPv6 networking')
    .option('--subnet <cidr>', 'Subnet in CIDR format that represents a network segment (repeatable)', collectCommaList)
    .option('--gateway <ip>', 'IPv4 Gateway for the master subnet (repeatable)', collectCommaList)
    .option('--ip-range <cidr>', 'Allocate container ip from a sub-range (repeatable)', collectCommaList)
    .option('--ipam-driver <driver>', 'IP Address Management Driver', 'default')
    .option('--ipam-opt <key=value>', 'Set IPAM driver specific options (repeatable)', collect)
    .action(
      verb(io, async (name: string, o: NetworkCreateOpts, c: Command) => {
        const req = networkCreateRequest(name, o);
        const r = await clientFor(c, io).networkCreate(req);
        io.out(`${r.Id}\n`);
      }),
    );

  network
    .command('ls')
    .alias('list')
    .description('List networks')
    .option('-q, --quiet', 'Only display network IDs')
    .option('--no-trunc', 'Do not truncate the output')
    .option('--format <format>', 'Format output using a custom template: "table", "table TEMPLATE", "json", "TEMPLATE"')
    .option('-f, --filter <filter>', 'Provide filter values (e.g. "driver=overlay")', collectFilter)
    .action(
      verb(io, async (o: { quiet?: boolean; trunc: boolean; format?: string; filter?: Filters }, c: Command) => {
        const networks = await clientFor(c, io).networkList(o.filter);
        io.out(formatNetworks(networks, { quiet: o.quiet, format: o.format, noTrunc: !o.trunc }));
      }),
    );

  network
    .command('inspect')
    .description('Display detailed information on one or more networks')
    .argument('<network...>', 'network name or ID')
    .option('-f, --format <format>', 'Format output using a custom template: "json" or a Go template')
    .action(
      verb(io, async (refs: string[], o: { format?: string }, c: Command) => {
        const api = clientFor(c, io);
        await printInspect(io, refs, o.format ?? '', (ref) => api.networkInspect(ref));
      }),
    );

  network
    .command('rm')
    .alias('remove')
    .description('Remove one or more networks')
    .argument('<network...>', 'network name or ID')
    .option('-f, --force', 'Do not error if the network does not exist')
    .action(
      verb(io, async (refs: string[], o: { force?: boolean }, c: Command) => {
        const api = clientFor(c, io);
        for (const ref of refs) {
          const found = await api.networkInspect(ref).catch(() => null);
          if (found?.value.Ingress && !(await confirm(io, INGRESS_WARNING))) continue;
          try {
            await api.networkRemove(ref);
            io.out(`${ref}\n`);
          } catch (e) {
            if (o.force && (e as { code?: string }).code === 'NotFound') continue;
            reportError(io, e);
          }
        }
      }),
    );

  network
    .command('connect')
    .description('Connect a running container on this node to a network')
    .argument('<network>', 'network name or ID')
    .argument('<container>', 'container name or ID')
    .option('--ip <address>', 'IPv4 address')
    .option('--alias <alias>', 'Add network-scoped alias for the container', collect)
    .action(
      verb(io, async (net: string, ctr: string, o: { ip?: string; alias?: string[] }, c: Command) => {
        await clientFor(c, io).call('POST', `/networks/${encodeURIComponent(net)}/connect`, {
          body: { Container: ctr, EndpointConfig: { ...(o.ip ? { IPAMConfig: { IPv4Address: o.ip } } : {}), Aliases: o.alias ?? [] } },
        });
      }),
    );

  network
    .command('disconnect')
    .description('Disconnect a container from a network')
    .argument('<network>', 'network name or ID')
    .argument('<container>', 'container name or ID')
    .option('-f, --force', 'Force the container to disconnect from a network')
    .action(
      verb(io, async (net: string, ctr: string, o: { force?: boolean }, c: Command) => {
        await clientFor(c, io).call('POST', `/networks/${encodeURIComponent(net)}/disconnect`, { body: { Container: ctr, Force: o.force === true } });
      }),
    );

  network
    .command('prune')
    .description('Remove all unused networks')
    .option('-f, --force', 'Do not prompt for confirmation')
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', collectFilter)
    .action(
      verb(io, async (o: { force?: boolean; filter?: Filters }, c: Command) => {
        // Declining is not an error: docker prints nothing more and exits 0.
        if (!o.force && !(await confirm(io, PRUNE_WARNING))) return;
        const deleted = await clientFor(c, io).networkPrune(o.filter);
        if (deleted.length > 0) io.out(`Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
      }),
    );
}
