// `tsswarm swarm init|join|leave|join-token|update|unlock-key`, and the top-level
// shortcuts init, join, leave and join-token.
import { Command, InvalidArgumentError } from 'commander';
import { TsswarmError } from '../../shared/errors.js';
import { formatCidr, networkOf, parseHostCidr } from '../../shared/net/cidr.js';
import { DaemonError, type ApiClient } from '../client.js';
import type { Swarm, SwarmSpec, SystemInfo } from '../api-types.js';
import { durationFlag } from '../duration.js';
import type { CliIo } from '../io.js';
import {
  DEFAULT_LISTEN_ADDR, collectCommaList, joinHostPort, parseAvailability, parseInt64, parseNodeAddr, parseUint,
} from '../opts.js';
import { clientFor, verb } from './common.js';

/** The port managers listen on when the daemon's answer does not say (docker's default). */
const MANAGER_PORT = '2377';

/** Flags that change the swarm's Spec, shared by init and update as in docker. */
interface SpecFlags {
  certExpiry?: number;
  dispatcherHeartbeat?: number;
  taskHistoryLimit?: number;
}

function addSpecFlags(cmd: Command): Command {
  return cmd
    .option('--cert-expiry <duration>', 'Validity period for node certificates (ns|us|ms|s|m|h) (default 2160h0m0s)', durationFlag)
    .option('--dispatcher-heartbeat <duration>', 'Dispatcher heartbeat period (ns|us|ms|s|m|h) (default 5s)', durationFlag)
    .option('--task-history-limit <n>', 'Task history retention limit (default 5)', parseInt64);
}

/** Only flags the user gave change the spec; the daemon keeps or defaults the rest. */
function mergeSpec(spec: SwarmSpec, f: SpecFlags): SwarmSpec {
  const out: SwarmSpec = { ...spec };
  if (f.certExpiry !== undefined) out.CAConfig = { ...(spec.CAConfig ?? {}), NodeCertExpiry: f.certExpiry };
  if (f.dispatcherHeartbeat !== undefined) out.Dispatcher = { ...(spec.Dispatcher ?? {}), HeartbeatPeriod: f.dispatcherHeartbeat };
  if (f.taskHistoryLimit !== undefined) {
    out.Orchestration = { ...(spec.Orchestration ?? {}), TaskHistoryRetentionLimit: f.taskHistoryLimit };
  }
  return out;
}

function addrPoolFlag(value: string, previous: string[] | undefined): string[] {
  return collectCommaList(value, undefined).reduce((acc, v) => {
    try {
      return [...acc, formatCidr(networkOf(parseHostCidr(v)))];
    } catch {
      throw new InvalidArgumentError(`invalid CIDR address: ${v}`);
    }
  }, previous ?? []);
}

/**
 * The address others join: this node's own manager address when it is a manager (as
 * docker prints it from the node's ManagerStatus); on a worker, which can answer too
 * because its calls reach the managers, the first manager it knows.
 */
export function managerJoinAddr(info: SystemInfo): string {
  const sw = info.Swarm;
  const managers = sw.RemoteManagers ?? [];
  const me = managers.find((m) => m.NodeID === sw.NodeID);
  const addr = me?.Addr ?? managers[0]?.Addr;
  if (addr) return addr;
  return joinHostPort(sw.NodeAddr, MANAGER_PORT);
}

function joinCommandText(role: 'worker' | 'manager', swarm: Swarm, info: SystemInfo): string {
  const token = role === 'worker' ? swarm.JoinTokens.Worker : swarm.JoinTokens.Manager;
  return (
    `To add a ${role} to this swarm, run the following command:\n\n` +
    `    tsswarm swarm join --token ${token} ${managerJoinAddr(info)}\n\n`
  );
}

// ---- init ----

interface InitOpts extends SpecFlags {
  advertiseAddr?: string;
  listenAddr: string;
  dataPathAddr?: string;
  dataPathPort: number;
  defaultAddrPool?: string[];
  defaultAddrPoolMaskLength: number;
  forceNewCluster?: boolean;
  availability?: string;
}

function addInit(parent: Command, io: CliIo): void {
  const cmd = parent
    .command('init')
    .description('Initialize a swarm')
    .option('--advertise-addr <addr>', 'Advertised address (format: "<ip|interface>[:port]")')
    .option('--listen-addr <addr>', 'Listen address (format: "<ip|interface>[:port]")', (v) => parseNodeAddr(v), DEFAULT_LISTEN_ADDR)
    .option('--data-path-addr <addr>', 'Address or interface to use for data path traffic (format: "<ip|interface>")')
    .option('--data-path-port <port>', 'Port number to use for data path traffic (1024 - 49151); 0 means the default port (4789)', parseUint, 0)
    .option('--default-addr-pool <cidr>', 'default address pool in CIDR format (repeatable)', addrPoolFlag)
    .option('--default-addr-pool-mask-length <n>', 'default address pool subnet mask length', parseUint, 24)
    .option('--force-new-cluster', 'Force create a new cluster from current state')
    .option('--availability <availability>', 'Availability of the node ("active", "pause", "drain")', parseAvailability);
  addSpecFlags(cmd).action(
    verb(io, async (o: InitOpts, c: Command) => {
      const api = clientFor(c, io);
      const nodeId = await api.swarmInit({
        ListenAddr: o.listenAddr,
        AdvertiseAddr: o.advertiseAddr ?? '',
        DataPathAddr: o.dataPathAddr ?? '',
        DataPathPort: o.dataPathPort,
        DefaultAddrPool: o.defaultAddrPool ?? [],
        SubnetSize: o.defaultAddrPoolMaskLength,
        ForceNewCluster: o.forceNewCluster === true,
        Spec: mergeSpec({ CAConfig: {} }, o),
        ...(o.availability ? { Availability: o.availability } : {}),
      });
      io.out(`Swarm initialized: current node (${nodeId}) is now a manager.\n\n`);
      const swarm = await api.swarmInspect();
      const info = await api.info();
      io.out(joinCommandText('worker', swarm, info));
      io.out("To add a manager to this swarm, run 'tsswarm swarm join-token manager' and follow the instructions.\n");
    }),
  );
}

// ---- join ----

interface JoinOpts {
  token?: string;
  listenAddr: string;
  advertiseAddr?: string;
  dataPathAddr?: string;
  availability?: string;
}

function addJoin(parent: Command, io: CliIo): void {
  parent
    .command('join')
    .description('Join a swarm as a node and/or manager')
    .argument('<host:port>', 'address of a manager of the swarm')
    .option('--token <token>', 'Token for entry into the swarm')
    .option('--listen-addr <addr>', 'Listen address (format: "<ip|interface>[:port]")', (v) => parseNodeAddr(v), DEFAULT_LISTEN_ADDR)
    .option('--advertise-addr <addr>', 'Advertised address (format: "<ip|interface>[:port]")')
    .option('--data-path-addr <addr>', 'Address or interface to use for data path traffic (format: "<ip|interface>")')
    .option('--availability <availability>', 'Availability of the node ("active", "pause", "drain")', parseAvailability)
    .action(
      verb(io, async (remote: string, o: JoinOpts, c: Command) => {
        const api = clientFor(c, io);
        await api.swarmJoin({
          ListenAddr: o.listenAddr,
          AdvertiseAddr: o.advertiseAddr ?? '',
          DataPathAddr: o.dataPathAddr ?? '',
          RemoteAddrs: [remote],
          JoinToken: o.token ?? '',
          ...(o.availability ? { Availability: o.availability } : {}),
        });
        const info = await api.info();
        io.out(`This node joined a swarm as a ${info.Swarm.ControlAvailable ? 'manager' : 'worker'}.\n`);
      }),
    );
}

// ---- leave ----

function addLeave(parent: Command, io: CliIo): void {
  parent
    .command('leave')
    .description('Leave the swarm')
    .option('-f, --force', 'Force this node to leave the swarm, ignoring warnings')
    .action(
      verb(io, async (o: { force?: boolean }, c: Command) => {
        await clientFor(c, io).swarmLeave(o.force === true);
        io.out('Node left the swarm.\n');
      }),
    );
}

// ---- join-token ----

function addJoinToken(parent: Command, io: CliIo): void {
  parent
    .command('join-token')
    .description('Manage join tokens')
    .argument('<role>', 'worker or manager')
    .option('--rotate', 'Rotate join token')
    .option('-q, --quiet', 'Only display token')
    .action(
      verb(io, async (role: string, o: { rotate?: boolean; quiet?: boolean }, c: Command) => {
        if (role !== 'worker' && role !== 'manager') throw new TsswarmError('Invalid', `unknown role ${role}`);
        const api = clientFor(c, io);
        if (o.rotate) {
          const before = await api.swarmInspect();
          await api.swarmUpdate(before.Version.Index, before.Spec, { [role]: true });
          if (!o.quiet) io.out(`Successfully rotated ${role} join token.\n\n`);
        }
        // Read again after a rotation: the update changed the tokens.
        const swarm = await api.swarmInspect();
        if (o.quiet) {
          io.out(`${role === 'worker' ? swarm.JoinTokens.Worker : swarm.JoinTokens.Manager}\n`);
          return;
        }
        io.out(joinCommandText(role, swarm, await api.info()));
      }),
    );
}

// ---- update ----

function addUpdate(parent: Command, io: CliIo): void {
  const cmd = parent.command('update').description('Update the swarm');
  addSpecFlags(cmd).action(
    verb(io, async (o: SpecFlags, c: Command) => {
      // With no flag there is nothing to change; docker shows the help instead.
      if (o.certExpiry === undefined && o.dispatcherHeartbeat === undefined && o.taskHistoryLimit === undefined) {
        c.outputHelp();
        return;
      }
      const api = clientFor(c, io);
      const swarm = await api.swarmInspect();
      await api.swarmUpdate(swarm.Version.Index, mergeSpec(swarm.Spec, o));
      io.out('Swarm updated.\n');
    }),
  );
}

// ---- unlock-key ----

function addUnlockKey(parent: Command, io: CliIo): void {
  parent
    .command('unlock-key')
    .description('Manage the unlock key')
    .option('--rotate', 'Rotate unlock key')
    .option('-q, --quiet', 'Only display token')
    .action(
      verb(io, async (o: { rotate?: boolean; quiet?: boolean }, c: Command) => {
        const api = clientFor(c, io);
        if (o.rotate) {
          const swarm = await api.swarmInspect();
          if (!swarm.Spec.EncryptionConfig?.AutoLockManagers) {
            throw new TsswarmError('Invalid', 'cannot rotate because autolock is not turned on');
          }
          await api.swarmUpdate(swarm.Version.Index, swarm.Spec, { unlockKey: true });
          if (!o.quiet) io.out('Successfully rotated manager unlock key.\n');
        }
        const key = await unlockKey(api);
        if (key === '') throw new TsswarmError('Invalid', 'no unlock key is set');
        if (o.quiet) {
          io.out(`${key}\n`);
          return;
        }
        io.out(
          'To unlock a swarm manager after it restarts, run the `tsswarm swarm unlock`\n' +
            `command and provide the following key:\n\n    ${key}\n\n` +
            'Remember to store this key in a password manager, since without it you\n' +
            'will not be able to restart the manager.\n',
        );
      }),
    );
}

async function unlockKey(api: ApiClient): Promise<string> {
  try {
    return await api.swarmUnlockKey();
  } catch (e) {
    throw new TsswarmError('Unavailable', `could not fetch unlock key: ${errorText(e)}`);
  }
}

function errorText(e: unknown): string {
  if (e instanceof DaemonError) return `Error response from daemon: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

export function registerSwarmCommands(program: Command, io: CliIo): void {
  const swarm = program.command('swarm').description('Manage Swarm');
  addInit(swarm, io);
  addJoin(swarm, io);
  addJoinToken(swarm, io);
  addLeave(swarm, io);
  addUnlockKey(swarm, io);
  addUpdate(swarm, io);
  // docker's top-level shortcuts.
  addInit(program, io);
  addJoin(program, io);
  addJoinToken(program, io);
  addLeave(program, io);
}
