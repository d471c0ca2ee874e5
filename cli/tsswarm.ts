#!/usr/bin/env node
// The `tsswarm` command: parse, call, print. Each verb lives in its own module.
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { registerManagerCommand } from './manager.js';
import { registerDaemonCommand } from './daemon.js';
import { registerClusterCommands } from './commands/index.js';
import { registerLabCommand } from './lab.js';

const pkgPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../package.json');
const version = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;

const program = new Command('tsswarm')
  .description('swarm-style cluster manager with multi-host overlay networking')
  .version(version)
  .showHelpAfterError();

registerManagerCommand(program);
registerClusterCommands(program);
registerDaemonCommand(program, version);
registerLabCommand(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`tsswarm: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
