// `tsswarm lab`: a multi-host cluster on one machine, hosts as network namespaces on a
// private underlay, one daemon each. The work is in lab/; this file parses and prints.
import { spawn } from 'node:child_process';
import os from 'node:os';
import type { Command } from 'commander';
import { TsswarmError } from '../shared/errors.js';
import { DEFAULT_LAB_NAME, DEFAULT_MANAGERS, DEFAULT_WORKERS } from '../lab/defaults.js';
import { down, execCommand, heal, kill, partition, resolveLabName, restart, status, up } from '../lab/lab.js';
import { renderTable, type Column } from './format/table.js';
import type { HostState } from '../lab/state.js';

function count(flag: string): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v)) throw new TsswarmError('Invalid', `--${flag} takes a whole number, not "${v}"`);
    return Number(v);
  };
}

/** How to name the lab in a hint: nothing for the default lab. */
function nameFlag(name: string): string {
  return name === DEFAULT_LAB_NAME ? '' : ` --name ${name}`;
}

const NAME_HELP = 'the lab (default: the only lab, or "lab")';

/** Runs argv with our stdio and resolves with its exit code, as a shell would report it. */
function runInherited(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [cmd, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, args, { env, stdio: 'inherit' });
    // A terminal's Ctrl-C reaches the child directly; signals sent to us alone are passed on.
    const forward = (sig: NodeJS.Signals): void => void child.kill(sig);
    process.on('SIGTERM', forward);
    process.on('SIGHUP', forward);
    const done = (): void => {
      process.off('SIGTERM', forward);
      process.off('SIGHUP', forward);
    };
    child.on('error', (e) => {
      done();
      reject(new TsswarmError('Unavailable', `cannot run ${cmd}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      done();
      resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 0));
    });
  });
}

export function registerLabCommand(program: Command): void {
  const lab = program
    .command('lab')
    .description('a multi-host cluster on this machine: hosts are network namespaces on a private underlay, one daemon each')
    // `exec` passes everything after the host to its command untouched.
    .enablePositionalOptions();

  lab
    .command('up')
    .description('create the hosts and the underlay, start a daemon per host and form the swarm')
    .option('--managers <n>', 'manager hosts (m1, m2, ...)', count('managers'), DEFAULT_MANAGERS)
    .option('--workers <n>', 'worker hosts (w1, w2, ...)', count('workers'), DEFAULT_WORKERS)
    .option('--name <name>', 'lab name: 1-8 of a-z0-9', DEFAULT_LAB_NAME)
    .option('--bare', 'namespaces and underlay only, no daemons')
    .option('--no-form', 'start the daemons but do not form a swarm')
    .option('--dns-upstream <list>', 'where the daemons send names their containers ask for that no network knows: "none", or addresses inside the lab', 'none')
    .option('--gossip-key-rotation <duration>', 'how often the leading manager makes a new gossip key (default the daemon\'s, 12h)')
    .action(async (o: { managers: number; workers: number; name: string; bare?: boolean; form: boolean; dnsUpstream: string; gossipKeyRotation?: string }) => {
      const s = await up({ name: o.name, managers: o.managers, workers: o.workers, bare: o.bare === true, form: o.form, dnsUpstream: o.dnsUpstream, gossipKeyRotation: o.gossipKeyRotation, log: (l) => console.error(l) });
      const cols: Column<HostState>[] = [
        { header: 'HOST', get: (h) => h.name },
        { header: 'ROLE', get: (h) => h.role },
        { header: 'UNDERLAY ADDRESS', get: (h) => h.ip },
        { header: 'NETNS', get: (h) => h.netns },
        { header: 'SOCKET', get: (h) => (s.bare ? '-' : `unix://${h.socket}`) },
      ];
      process.stdout.write(renderTable(cols, s.hosts));
      const state = s.bare ? 'bare: no daemons' : s.formed ? 'swarm formed' : 'daemons running, no swarm yet';
      console.log(`\nlab ${s.name} is up (${state}), underlay ${s.subnet}, state in ${s.dir}`);
      const first = s.hosts[0]!.name;
      console.log(`run a command on a host: tsswarm lab exec${nameFlag(s.name)} ${first} -- tsswarm node ls`);
      console.log(`remove it all:           tsswarm lab down${nameFlag(s.name)}`);
    });

  lab
    .command('ls')
    .description('the lab\'s hosts, their underlay addresses and daemons')
    .option('--name <name>', NAME_HELP)
    .action(async (o: { name?: string }) => {
      const { lab: s, hosts } = await status(await resolveLabName(o.name));
      type Row = (typeof hosts)[number];
      const cols: Column<Row>[] = [
        { header: 'HOST', get: (r) => r.host.name },
        { header: 'ROLE', get: (r) => r.host.role },
        { header: 'UNDERLAY ADDRESS', get: (r) => r.host.ip },
        { header: 'DAEMON', get: (r) => (r.daemon === 'running' ? `running (pid ${r.host.pid})` : r.daemon) },
        { header: 'UNDERLAY', get: (r) => r.link },
        { header: 'NETNS', get: (r) => r.host.netns },
      ];
      console.log(`lab ${s.name}: underlay ${s.subnet}, ${s.bare ? 'bare' : s.formed ? 'swarm formed' : 'no swarm formed by lab up'}`);
      process.stdout.write(renderTable(cols, hosts));
    });

  lab
    .command('exec')
    .description('run a command on a host: in its namespace, with TSSWARM_HOST/DOCKER_HOST set to its daemon and `tsswarm` on PATH')
    .usage('[--name <name>] <host> -- <command...>')
    .option('--name <name>', NAME_HELP)
    .argument('<host>', 'e.g. m1 or w2')
    .argument('<command...>', 'the command and its arguments (after --)')
    .passThroughOptions()
    .action(async (host: string, argv: string[], o: { name?: string }) => {
      // With pass-through, commander keeps a "--" that follows an option (`--name x m1 -- cmd`).
      const cmd = argv[0] === '--' ? argv.slice(1) : argv;
      const c = await execCommand(await resolveLabName(o.name), host, cmd);
      process.exitCode = await runInherited(c.argv, c.env);
    });

  lab
    .command('down')
    .description('stop the lab\'s daemons and remove its namespaces, links and directory')
    .option('--name <name>', NAME_HELP)
    .action(async (o: { name?: string }) => {
      let name: string;
      try {
        name = await resolveLabName(o.name);
      } catch (e) {
        // Nothing up is what `down` wants: not an error.
        if (e instanceof TsswarmError && e.code === 'NotFound') {
          console.log('no lab is up; nothing to remove');
          return;
        }
        throw e;
      }
      const r = await down(name);
      if (r.nothing) {
        console.log(`no lab named "${name}"; nothing to remove`);
        return;
      }
      for (const f of r.failures) console.error(`tsswarm: lab down: ${f}`);
      console.log(`lab ${name}: removed ${r.removed.length === 0 ? 'nothing' : r.removed.join(', ')}`);
      if (r.failures.length > 0) {
        console.error(`lab ${name}: ${r.failures.length} step(s) failed; what is left carries the prefix ts${name}-`);
        process.exitCode = 1;
      }
    });

  const fault = (verb: string, description: string, fn: (name: string, host: string) => Promise<string>): void => {
    lab
      .command(verb)
      .description(description)
      .option('--name <name>', NAME_HELP)
      .argument('<host>', 'e.g. m1 or w2')
      .action(async (host: string, o: { name?: string }) => {
        console.log(await fn(await resolveLabName(o.name), host));
      });
  };
  fault('partition', 'cut a host off the underlay (its daemon keeps running)', async (n, h) => {
    await partition(n, h);
    return `${h} is cut off the underlay`;
  });
  fault('heal', 'reconnect a partitioned host', async (n, h) => {
    await heal(n, h);
    return `${h} is back on the underlay`;
  });
  fault('kill', 'SIGKILL a host\'s daemon, as a crash', async (n, h) => `killed the daemon of ${h} (pid ${await kill(n, h)})`);
  fault('restart', 'start a host\'s daemon again (same data dir) and wait until it answers', async (n, h) => `the daemon of ${h} runs again (pid ${await restart(n, h)})`);
}
