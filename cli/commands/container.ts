// `tsswarm run|ps|exec|logs|stop|rm`: containers on this node's overlay networks.
import type { Command } from 'commander';
import { TsswarmError } from '../../shared/errors.js';
import { formatOutput } from '../format/ids.js';
import type { CliIo } from '../io.js';
import type { ContainerView } from '../../daemon/containers.js';
import { clientFor, quietApplies, verb } from './common.js';
import { printInspect } from '../inspect.js';


const PS_TABLE = 'table {{.ID}}\\t{{.Command}}\\t{{.Status}}\\t{{.Networks}}\\t{{.Names}}';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

function psRow(c: ContainerView): Record<string, unknown> {
  return {
    ID: c.Id,
    Names: c.Name,
    Command: JSON.stringify(c.Cmd.join(' ').slice(0, 40)),
    Status: c.State === 'running' ? 'Up' : `Exited (${c.ExitCode ?? '?'})`,
    Networks: c.Networks.map((n) => `${n.Name}:${n.IPAddress.split('/')[0]}`).join(','),
    CreatedAt: c.Created,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function registerContainerCommands(program: Command, io: CliIo): void {
  program
    .command('run')
    .description('Run a command in a new container on an attachable overlay network')
    .option('-d, --detach', 'Run in the background and print the container ID')
    .option('--name <name>', 'Assign a name to the container')
    .option('--hostname <name>', 'Container host name (default: its name)')
    .option('--network <network>', 'Connect the container to a network', collect)
    .option('--ip <address>', 'IPv4 address on the (first) network')
    .option('--network-alias <alias>', 'Add a network-scoped alias for the container', collect)
    .option('-e, --env <KEY=VALUE>', 'Set an environment variable', collect)
    .argument('<cmd...>', 'the command and its arguments (after --)')
    .action(verb(io, async (cmd: string[], o: { detach?: boolean; name?: string; hostname?: string; network?: string[]; ip?: string; networkAlias?: string[]; env?: string[] }, c: Command) => {
      const api = clientFor(c, io);
      const nets = o.network ?? [];
      if (nets.length === 0) throw new TsswarmError('Invalid', 'a container needs a network: --network NAME');
      const view = await api.json<ContainerView>('POST', '/containers/run', {
        body: {
          Name: o.name, Hostname: o.hostname, Cmd: cmd, Env: o.env ?? [],
          Networks: nets.map((n, i) => ({ Target: n, ...(i === 0 && o.ip ? { IPv4Address: o.ip } : {}), Aliases: o.networkAlias ?? [] })),
        },
      });
      if (o.detach) {
        io.out(`${view.Id}\n`);
        return;
      }
      // Attached: wait for the process to end, print what it wrote, exit with its code.
      let v = view;
      while (v.State === 'running') {
        await sleep(200);
        v = await api.json<ContainerView>('GET', `/containers/${v.Id}/json`);
      }
      io.out((await api.call('GET', `/containers/${v.Id}/logs`)).text);
      if (v.ExitCode) io.setExitCode(v.ExitCode);
    }));

  program
    .command('ps')
    .description('List containers on this node')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('-q, --quiet', 'Only display container IDs')
    .option('--no-trunc', 'Don\'t truncate output')
    .option('--format <format>', 'Format output using a custom template')
    .action(verb(io, async (o: { all?: boolean; quiet?: boolean; trunc?: boolean; format?: string }, c: Command) => {
      const api = clientFor(c, io);
      const list = await api.json<ContainerView[]>('GET', '/containers/json', { query: o.all ? { all: '1' } : {} });
      io.out(formatOutput({ format: o.format, quiet: quietApplies(o.quiet, o.format), noTrunc: o.trunc === false, defaultTable: PS_TABLE, headers: { ID: 'CONTAINER ID', Names: 'NAMES' } }, list.map(psRow)));
    }));

  program
    .command('exec')
    .description('Run a command in a running container')
    .argument('<container>', 'container name or ID')
    .argument('<cmd...>', 'the command and its arguments (after --)')
    .action(verb(io, async (ref: string, cmd: string[], _o: unknown, c: Command) => {
      const api = clientFor(c, io);
      const r = await api.json<{ ExitCode: number; Stdout: string; Stderr: string }>('POST', `/containers/${encodeURIComponent(ref)}/exec`, { body: { Cmd: cmd } });
      io.out(r.Stdout);
      if (r.Stderr) io.err(r.Stderr);
      if (r.ExitCode !== 0) io.setExitCode(r.ExitCode);
    }));

  program
    .command('inspect')
    .description('Display detailed information on one or more containers of this node')
    .option('-f, --format <format>', 'Format output using a custom template')
    .argument('<container...>', 'container names or IDs')
    .action(verb(io, async (refs: string[], o: { format?: string }, c: Command) => {
      const api = clientFor(c, io);
      await printInspect(io, refs, o.format ?? '', async (ref) => {
        const r = await api.call('GET', `/containers/${encodeURIComponent(ref)}/json`);
        return { value: JSON.parse(r.text) as ContainerView, raw: r.text };
      });
    }));

  program
    .command('logs')
    .description('Fetch the output of a container')
    .argument('<container>', 'container name or ID')
    .action(verb(io, async (ref: string, _o: unknown, c: Command) => {
      io.out((await clientFor(c, io).call('GET', `/containers/${encodeURIComponent(ref)}/logs`)).text);
    }));

  program
    .command('stop')
    .description('Stop one or more running containers (SIGTERM, then SIGKILL after the grace time)')
    .option('-t, --time <seconds>', 'Seconds to wait before killing', '10')
    .argument('<container...>', 'container names or IDs')
    .action(verb(io, async (refs: string[], o: { time: string }, c: Command) => {
      const api = clientFor(c, io);
      for (const ref of refs) {
        await api.call('POST', `/containers/${encodeURIComponent(ref)}/stop`, { query: { t: o.time } });
        io.out(`${ref}\n`);
      }
    }));

  program
    .command('rm')
    .description('Remove one or more containers and release their addresses')
    .option('-f, --force', 'Force the removal of a running container')
    .argument('<container...>', 'container names or IDs')
    .action(verb(io, async (refs: string[], o: { force?: boolean }, c: Command) => {
      const api = clientFor(c, io);
      for (const ref of refs) {
        await api.call('DELETE', `/containers/${encodeURIComponent(ref)}`, { query: { force: o.force ? '1' : '0' } });
        io.out(`${ref}\n`);
      }
    }));
}
