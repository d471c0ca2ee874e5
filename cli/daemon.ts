// `tsswarm daemon`: one node's daemon (as dockerd), with its Engine API on a unix socket.
import type { Command } from 'commander';
import { mkdir, rm, chmod, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { resolveHost } from './client.js';
import { durationFlag } from './duration.js';


/** A socket file nobody answers on is a leftover of a crash; one that answers is another daemon. */
async function claimSocket(file: string): Promise<void> {
  const alive = await new Promise<boolean>((resolve) => {
    const s = net.connect(file);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`another daemon is already listening on ${file}`);
  await rm(file, { force: true });
}

export function registerDaemonCommand(program: Command, version: string): void {
  program
    .command('daemon')
    .description('run this host\'s node daemon, its Engine API on -H/--host (default $TSSWARM_HOST or unix:///run/tsswarm/tsswarm.sock)')
    .option('--data-dir <dir>', 'where the node keeps its state', '/var/lib/tsswarm')
    .option('--hostname <name>', 'the name this node reports (default: the system hostname)')
    .option('--netns-prefix <prefix>', 'prefix of the network namespaces this node makes for sandboxes and containers', 'ts-')
    .option('--gossip-key-rotation <duration>', 'while this node leads: how often a new gossip key is made (Go duration, e.g. 12h, at least 1m)', durationFlag, 12 * 3600 * 1e9)
    .option('--dns-upstream <list>', 'resolvers for names no network knows: "none", or addresses[:port] (default: the nameservers of /etc/resolv.conf)')
    // The socket comes from the program's global -H/--host (or TSSWARM_HOST), as for every verb.
    .action(async (_o: unknown, cmd: Command) => {
      const g = cmd.optsWithGlobals<{ dataDir: string; host?: string; hostname?: string; netnsPrefix: string; dnsUpstream?: string; gossipKeyRotation: number }>();
      // Shorter than the promotion delay (three heartbeats) would retire keys before nodes send with them.
      if (g.gossipKeyRotation < 60e9) throw new Error(`--gossip-key-rotation must be at least 1m (got ${g.gossipKeyRotation / 1e9} s)`);
      // Loaded here, not at the top: every other verb of the CLI would pay for the whole daemon at start-up.
      const { Daemon } = await import('../daemon/daemon.js');
      const { buildDaemonApi } = await import('../daemon/api.js');
      const { hostUpstreams, parseUpstreams } = await import('../worker/dns/relay.js');
      const dnsUpstreams = g.dnsUpstream !== undefined ? parseUpstreams(g.dnsUpstream) : hostUpstreams(await readFile('/etc/resolv.conf', 'utf8').catch(() => ''));
      const o = { ...g, host: resolveHost(g.host, process.env) };
      const log = (msg: string): void => console.error(`${new Date().toISOString()} ${msg}`);
      const d = new Daemon({ dataDir: o.dataDir, hostname: o.hostname, netnsPrefix: o.netnsPrefix, dnsUpstreams, gossipKeyRotationMs: g.gossipKeyRotation / 1e6, engineVersion: version, log });
      await mkdir(o.dataDir, { recursive: true, mode: 0o700 });
      const api = await buildDaemonApi(d, version);
      if (o.host.startsWith('unix://')) {
        const file = o.host.slice('unix://'.length);
        await mkdir(path.dirname(file), { recursive: true });
        await claimSocket(file);
        await api.listen({ path: file });
        await chmod(file, 0o660);
      } else {
        const u = new URL(o.host.replace(/^tcp:/, 'http:'));
        await api.listen({ host: u.hostname, port: Number(u.port) });
      }
      // The API answers (e.g. "inactive") while the membership on disk is resumed.
      await d.start().catch((e: unknown) => log(`resuming the swarm membership failed: ${(e as Error).message}`));
      log(`tsswarm daemon ${version} on ${o.host}, data in ${o.dataDir}`);
      const stop = (sig: string): void => {
        log(`${sig}: stopping`);
        void Promise.allSettled([api.close(), d.stop()]).then(() => process.exit(0));
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
