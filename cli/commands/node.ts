// `tsswarm node ls|inspect|promote|demote|update|rm`.
import type { Command } from 'commander';
import { TsswarmError } from '../../shared/errors.js';
import type { ApiClient } from '../client.js';
import type { Node, NodeSpec, SystemInfo, TLSInfo } from '../api-types.js';
import { formatOutput } from '../format/ids.js';
import { renderTable, type Column } from '../format/table.js';
import { compileTemplate } from '../format/template.js';
import { prettyPrint } from '../gotime.js';
import { printInspect } from '../inspect.js';
import { reportError, type CliIo } from '../io.js';
import { collect, collectFilter, kvToMap, type Filters } from '../opts.js';
import { NODE_PRETTY_TEMPLATE, nodePrettyView } from '../pretty.js';
import { sortNaturally } from '../sort.js';
import { clientFor, quietApplies, verb } from './common.js';

/** A row of `node ls`: the fields docker's node formatter offers, keys in its JSON order. */
export interface NodeRow extends Record<string, unknown> {
  Availability: string;
  EngineVersion: string;
  Hostname: string;
  ID: string;
  ManagerStatus: string;
  Self: boolean;
  Status: string;
  TLSStatus: string;
}

export function nodeRow(n: Node, info: SystemInfo | null): NodeRow {
  const ms = n.ManagerStatus;
  return {
    Availability: prettyPrint(n.Spec.Availability ?? ''),
    EngineVersion: n.Description?.Engine?.EngineVersion ?? '',
    Hostname: n.Description?.Hostname ?? '',
    ID: n.ID,
    ManagerStatus: ms ? (ms.Leader ? 'Leader' : prettyPrint(ms.Reachability ?? '')) : '',
    Self: info !== null && n.ID === info.Swarm.NodeID,
    Status: prettyPrint(n.Status?.State ?? ''),
    TLSStatus: tlsStatus(n.Description?.TLSInfo, info?.Swarm.Cluster?.TLSInfo),
  };
}

function tlsStatus(node: TLSInfo | undefined, cluster: TLSInfo | undefined): string {
  const empty = (t: TLSInfo | undefined): boolean => !t || (!t.TrustRoot && !t.CertIssuerSubject && !t.CertIssuerPublicKey);
  if (empty(cluster) || empty(node)) return 'Unknown';
  const same =
    (node!.TrustRoot ?? '') === (cluster!.TrustRoot ?? '') &&
    (node!.CertIssuerSubject ?? '') === (cluster!.CertIssuerSubject ?? '') &&
    (node!.CertIssuerPublicKey ?? '') === (cluster!.CertIssuerPublicKey ?? '');
  return same ? 'Ready' : 'Needs Rotation';
}

/**
 * docker's default node table. Its ID column is "{{.ID}} {{if .Self}}*{{else}} {{end}}",
 * whose header renders as "ID" plus two spaces; built from columns because the shared
 * template's header mode takes every `if` branch.
 */
const NODE_TABLE: Column<NodeRow>[] = [
  { header: 'ID  ', get: (r) => `${r.ID} ${r.Self ? '*' : ' '}` },
  { header: 'HOSTNAME', get: (r) => r.Hostname },
  { header: 'STATUS', get: (r) => r.Status },
  { header: 'AVAILABILITY', get: (r) => r.Availability },
  { header: 'MANAGER STATUS', get: (r) => r.ManagerStatus },
  { header: 'ENGINE VERSION', get: (r) => r.EngineVersion },
];

const NODE_RAW_FORMAT = 'node_id: {{.ID}}\\nhostname: {{.Hostname}}\\nstatus: {{.Status}}\\navailability: {{.Availability}}\\nmanager_status: {{.ManagerStatus}}\\n';

/** The text `node ls` prints for these nodes. */
export function formatNodes(nodes: Node[], info: SystemInfo | null, o: { quiet?: boolean; format?: string }): string {
  const rows = sortNaturally(nodes, (n) => n.Description?.Hostname ?? '', (n) => n.ID).map((n) => nodeRow(n, info));
  const quiet = quietApplies(o.quiet, o.format);
  const format = o.format ?? '';
  if (!quiet && (format === '' || format === 'table')) return renderTable(NODE_TABLE, rows);
  return formatOutput(
    {
      format: format === 'raw' ? NODE_RAW_FORMAT : format,
      quiet,
      truncateIds: false,
      defaultTable: '',
      headers: { Self: '' },
    },
    rows,
  );
}

/** `self` is the local node, found through /info as docker does. */
async function resolveNode(api: ApiClient, ref: string): Promise<string> {
  if (ref !== 'self') return ref;
  const info = await api.info();
  if (info.Swarm.NodeID) return info.Swarm.NodeID;
  // Not a manager, probably: the node list answers with the daemon's own reason.
  await api.nodeList();
  throw new TsswarmError('NotFound', 'node ID not found in /info');
}

type NodeChange = (spec: NodeSpec, node: Node) => NodeSpec | null;

/** Reads each node, applies the change and writes it back at the version read; stops at the first failure. */
async function updateNodes(api: ApiClient, refs: string[], change: NodeChange, done: (ref: string) => void): Promise<void> {
  for (const ref of refs) {
    const { value: node } = await api.nodeInspect(ref);
    const spec = change({ ...node.Spec }, node);
    if (spec === null) continue;
    await api.nodeUpdate(node.ID, node.Version.Index, spec);
    done(ref);
  }
}

function addRoleChange(node: Command, io: CliIo, name: 'promote' | 'demote'): void {
  const role = name === 'promote' ? 'manager' : 'worker';
  node
    .command(name)
    .description(name === 'promote' ? 'Promote one or more nodes to manager in the swarm' : 'Demote one or more nodes from manager in the swarm')
    .argument('<node...>', 'node ID or hostname')
    .action(
      verb(io, async (refs: string[], _o: unknown, c: Command) => {
        const change: NodeChange = (spec, n) => {
          if (spec.Role === role) {
            io.out(`Node ${n.ID} is already a ${role}.\n`);
            return null;
          }
          return { ...spec, Role: role };
        };
        await updateNodes(clientFor(c, io), refs, change, (ref) =>
          io.out(name === 'promote' ? `Node ${ref} promoted to a manager in the swarm.\n` : `Manager ${ref} demoted in the swarm.\n`),
        );
      }),
    );
}

interface NodeUpdateOpts {
  availability?: string;
  role?: string;
  labelAdd?: string[];
  labelRm?: string[];
}

/** docker's mergeNodeUpdate: only the flags given change the spec; a missing label to remove is an error. */
export function mergeNodeUpdate(spec: NodeSpec, o: NodeUpdateOpts): NodeSpec {
  const out: NodeSpec = { ...spec, Labels: { ...(spec.Labels ?? {}) } };
  if (o.role !== undefined) out.Role = o.role;
  if (o.availability !== undefined) out.Availability = o.availability;
  Object.assign(out.Labels!, kvToMap(o.labelAdd));
  for (const k of o.labelRm ?? []) {
    if (!(k in out.Labels!)) throw new TsswarmError('Invalid', `key ${k} doesn't exist in node's labels`);
    delete out.Labels![k];
  }
  return out;
}

export function registerNodeCommands(program: Command, io: CliIo): void {
  const node = program.command('node').description('Manage Swarm nodes');

  node
    .command('ls')
    .alias('list')
    .description('List nodes in the swarm')
    .option('-q, --quiet', 'Only display IDs')
    .option('--format <format>', 'Format output using a custom template: "table", "table TEMPLATE", "json", "TEMPLATE"')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collectFilter)
    .action(
      verb(io, async (o: { quiet?: boolean; format?: string; filter?: Filters }, c: Command) => {
        const api = clientFor(c, io);
        const nodes = await api.nodeList(o.filter);
        const info = nodes.length > 0 && !o.quiet ? await api.info() : null;
        io.out(formatNodes(nodes, info, o));
      }),
    );

  node
    .command('inspect')
    .description('Display detailed information on one or more nodes')
    .argument('<node...>', 'node ID or hostname, or "self"')
    .option('-f, --format <format>', 'Format output using a custom template: "json" or a Go template')
    .option('--pretty', 'Print the information in a human friendly format')
    .action(
      verb(io, async (refs: string[], o: { format?: string; pretty?: boolean }, c: Command) => {
        const api = clientFor(c, io);
        const format = o.pretty ? 'pretty' : (o.format ?? '');
        const get = async (ref: string) => api.nodeInspect(await resolveNode(api, ref));
        if (format.startsWith('pretty') && format !== 'pretty') {
          throw new TsswarmError('Invalid', 'cannot supply extra formatting options to the pretty template');
        }
        if (format !== 'pretty') return printInspect(io, refs, format, get);
        // docker prints nothing of the pretty form when any node fails.
        const tpl = compileTemplate(NODE_PRETTY_TEMPLATE);
        let text = '';
        for (const ref of refs) text += tpl(nodePrettyView((await get(ref)).value)) + '\n';
        io.out(text);
      }),
    );

  addRoleChange(node, io, 'promote');
  addRoleChange(node, io, 'demote');

  node
    .command('update')
    .description('Update a node')
    .argument('<node>', 'node ID or hostname')
    .option('--availability <availability>', 'Availability of the node ("active", "pause", "drain")')
    .option('--label-add <key=value>', 'Add or update a node label ("key=value") (repeatable)', collect)
    .option('--label-rm <key>', 'Remove a node label if exists (repeatable)', collect)
    .option('--role <role>', 'Role of the node ("worker", "manager")')
    .action(
      verb(io, async (ref: string, o: NodeUpdateOpts, c: Command) => {
        await updateNodes(clientFor(c, io), [ref], (spec) => mergeNodeUpdate(spec, o), () => io.out(`${ref}\n`));
      }),
    );

  node
    .command('rm')
    .alias('remove')
    .description('Remove one or more nodes from the swarm')
    .argument('<node...>', 'node ID or hostname')
    .option('-f, --force', 'Force remove a node from the swarm')
    .action(
      verb(io, async (refs: string[], o: { force?: boolean }, c: Command) => {
        const api = clientFor(c, io);
        const errors: unknown[] = [];
        for (const ref of refs) {
          try {
            await api.nodeRemove(ref, o.force === true);
            io.out(`${ref}\n`);
          } catch (e) {
            errors.push(e);
          }
        }
        for (const e of errors) reportError(io, e);
      }),
    );
}
