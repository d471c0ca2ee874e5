// The verbs that talk to the local daemon: swarm (and its top-level shortcuts), node,
// network and config. The entry point calls registerClusterCommands once.
import type { Command } from 'commander';
import { DEFAULT_HOST } from '../client.js';
import { processIo, type CliIo } from '../io.js';
import { registerConfigCommands } from './config.js';
import { registerContainerCommands } from './container.js';
import { registerNetworkCommands } from './network.js';
import { registerNodeCommands } from './node.js';
import { registerSwarmCommands } from './swarm.js';

/**
 * Adds the daemon verbs to `program`, and the global -H/--host option unless the
 * program already has one. `io` defaults to the process's streams; tests pass their own.
 */
export function registerClusterCommands(program: Command, io: CliIo = processIo): void {
  if (!program.options.some((o) => o.long === '--host')) {
    program.option('-H, --host <host>', `daemon socket to connect to (unix:///path or tcp://HOST:PORT; default $TSSWARM_HOST or ${DEFAULT_HOST})`);
  }
  registerSwarmCommands(program, io);
  registerNodeCommands(program, io);
  registerNetworkCommands(program, io);
  registerConfigCommands(program, io);
  registerContainerCommands(program, io);
}
