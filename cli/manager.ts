// `tsswarm manager`: a bare manager (Raft member, replicated store, API) with no
// node daemon around it. Tests and benchmarks run it as a real process; the
// daemon of the next milestone wraps the same Manager.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export function registerManagerCommand(program: Command): void {
  program
    .command('manager')
    .description('run a bare manager: Raft member on --listen-addr (mutual TLS) and the HTTP API on --api-addr')
    .requiredOption('--id <id>', 'this member\'s Raft id')
    .requiredOption('--cluster-id <id>', 'cluster id; a data dir of another cluster is refused')
    .requiredOption('--data-dir <dir>', 'LevelDB data dir')
    .requiredOption('--listen-addr <host:port>', 'Raft address (2377 in production)')
    .requiredOption('--api-addr <host:port>', 'HTTP API address (loopback)')
    .requiredOption('--tls-dir <dir>', 'directory with ca.pem, cert.pem, key.pem')
    .option('--advertise-addr <host:port>', 'Raft address peers dial (default: --listen-addr)')
    .option('--bootstrap <id=addr,...>', 'initial voters of a new cluster (ignored when the data dir has state)')
    .option('--peers <id=addr,...>', 'known members of an existing cluster this member joins')
    .option('--snapshot-every <n>', 'applied entries between snapshots', (v) => Number(v))
    .action(async (o: {
      id: string; clusterId: string; dataDir: string; listenAddr: string; apiAddr: string; tlsDir: string;
      advertiseAddr?: string; bootstrap?: string; peers?: string; snapshotEvery?: number;
    }) => {
      // Loaded here, not at the top: every other verb of the CLI would pay for the whole manager at start-up.
      const { Manager } = await import('../manager/manager.js');
      const { parseMembers } = await import('../manager/members.js');
      const m = await Manager.start({
        nodeId: o.id,
        clusterId: o.clusterId,
        dataDir: o.dataDir,
        listen: o.listenAddr,
        advertise: o.advertiseAddr,
        apiAddr: o.apiAddr,
        identity: {
          caPem: readFileSync(path.join(o.tlsDir, 'ca.pem'), 'utf8'),
          certPem: readFileSync(path.join(o.tlsDir, 'cert.pem'), 'utf8'),
          keyPem: readFileSync(path.join(o.tlsDir, 'key.pem'), 'utf8'),
        },
        bootstrap: o.bootstrap ? parseMembers(o.bootstrap) : undefined,
        peers: o.peers ? parseMembers(o.peers) : undefined,
        snapshotEvery: o.snapshotEvery,
        log: (msg) => console.error(`${new Date().toISOString()} ${msg}`),
      });
      const stop = (sig: string): void => {
        console.error(`${new Date().toISOString()} ${sig}: stopping`);
        m.stop().then(() => process.exit(0), () => process.exit(1));
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
