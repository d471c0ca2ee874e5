// A minimal `tsswarm` with only the daemon verbs, so tests can run the CLI as a real
// process (exit codes, stderr, commander's own flag errors) without cli/tsswarm.ts.
import { Command } from 'commander';
import { registerClusterCommands } from '../../../cli/commands/index.js';

const program = new Command('tsswarm').showHelpAfterError();
registerClusterCommands(program);
program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`tsswarm: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
