// `tsswarm config create|ls|inspect|rm`.
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { TsswarmError } from '../../shared/errors.js';
import type { Config } from '../api-types.js';
import { ago } from '../duration.js';
import { formatOutput } from '../format/ids.js';
import { compileTemplate } from '../format/template.js';
import { printInspect } from '../inspect.js';
import { reportError, type CliIo } from '../io.js';
import { collectFilter, collectLabel, kvToMap, type Filters } from '../opts.js';
import { CONFIG_PRETTY_TEMPLATE, configPrettyView } from '../pretty.js';
import { sortNaturally } from '../sort.js';
import { clientFor, labelsText, quietApplies, verb } from './common.js';

/** docker reads at most twice swarmkit's 1000 KiB config limit, so the daemon gives the size error. */
const MAX_CONFIG_READ = 2 * 1000 * 1024;

const CONFIG_TABLE = 'table {{.ID}}\\t{{.Name}}\\t{{.CreatedAt}}\\t{{.UpdatedAt}}';

async function readConfigData(io: CliIo, file: string): Promise<Buffer> {
  const fail = (why: string): never => {
    throw new TsswarmError('Invalid', `error reading content from ${JSON.stringify(file)}: ${why}`);
  };
  if (file === '-') {
    const data = (await io.readStdin()).subarray(0, MAX_CONFIG_READ);
    if (data.length === 0) fail('error reading from STDIN: data is empty');
    return data;
  }
  let data: Buffer;
  try {
    data = (await readFile(file)).subarray(0, MAX_CONFIG_READ);
  } catch (e) {
    return fail(`error reading from ${file}: ${(e as Error).message}`);
  }
  if (data.length === 0) fail(`error reading from ${file}: data is empty`);
  return data;
}

/** A row of `config ls`: docker's config formatter fields, keys in its JSON order. */
export function configRow(c: Config, now: number = Date.now()): Record<string, unknown> {
  return {
    CreatedAt: ago(c.CreatedAt, now),
    ID: c.ID,
    Labels: labelsText(c.Spec.Labels),
    Name: c.Spec.Name,
    UpdatedAt: ago(c.UpdatedAt, now),
  };
}

export function formatConfigs(configs: Config[], o: { quiet?: boolean; format?: string }, now: number = Date.now()): string {
  const rows = sortNaturally(configs, (c) => c.Spec.Name, (c) => c.ID).map((c) => configRow(c, now));
  return formatOutput(
    {
      format: o.format,
      quiet: quietApplies(o.quiet, o.format),
      truncateIds: false,
      defaultTable: CONFIG_TABLE,
      headers: { CreatedAt: 'CREATED', UpdatedAt: 'UPDATED' },
    },
    rows,
  );
}

export function registerConfigCommands(program: Command, io: CliIo): void {
  const config = program.command('config').description('Manage Swarm configs');

  config
    .command('create')
    .description('Create a config from a file or STDIN')
    .argument('<config>', 'name of the new config')
    .argument('<file>', 'file to read, or - for STDIN')
    .option('-l, --label <key=value>', 'Config labels (repeatable)', collectLabel)
    .action(
      verb(io, async (name: string, file: string, o: { label?: string[] }, c: Command) => {
        const data = await readConfigData(io, file);
        const r = await clientFor(c, io).configCreate({ Name: name, Labels: kvToMap(o.label), Data: data.toString('base64') });
        io.out(`${r.ID}\n`);
      }),
    );

  config
    .command('ls')
    .alias('list')
    .description('List configs')
    .option('-q, --quiet', 'Only display IDs')
    .option('--format <format>', 'Format output using a custom template: "table", "table TEMPLATE", "json", "TEMPLATE"')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collectFilter)
    .action(
      verb(io, async (o: { quiet?: boolean; format?: string; filter?: Filters }, c: Command) => {
        io.out(formatConfigs(await clientFor(c, io).configList(o.filter), o));
      }),
    );

  config
    .command('inspect')
    .description('Display detailed information on one or more configs')
    .argument('<config...>', 'config name or ID')
    .option('-f, --format <format>', 'Format output using a custom template: "json" or a Go template')
    .option('--pretty', 'Print the information in a human friendly format')
    .action(
      verb(io, async (refs: string[], o: { format?: string; pretty?: boolean }, c: Command) => {
        const api = clientFor(c, io);
        const format = o.pretty ? 'pretty' : (o.format ?? '');
        if (format.startsWith('pretty') && format !== 'pretty') {
          throw new TsswarmError('Invalid', 'cannot supply extra formatting options to the pretty template');
        }
        if (format !== 'pretty') return printInspect(io, refs, format, (ref) => api.configInspect(ref));
        // docker prints nothing of the pretty form when any config fails.
        const tpl = compileTemplate(CONFIG_PRETTY_TEMPLATE);
        let text = '';
        for (const ref of refs) text += tpl(configPrettyView((await api.configInspect(ref)).value)) + '\n';
        io.out(text);
      }),
    );

  config
    .command('rm')
    .alias('remove')
    .description('Remove one or more configs')
    .argument('<config...>', 'config name or ID')
    .action(
      verb(io, async (refs: string[], _o: unknown, c: Command) => {
        const api = clientFor(c, io);
        const errors: unknown[] = [];
        for (const ref of refs) {
          try {
            await api.configRemove(ref);
            io.out(`${ref}\n`);
          } catch (e) {
            errors.push(e);
          }
        }
        for (const e of errors) reportError(io, e);
      }),
    );
}
