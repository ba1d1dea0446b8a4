// vmj: the command-line client of vm-journal. Commands live in commands/; this wires them into one
// commander program and turns failures into one clear line and an exit code: 2 for usage errors
// (commander's and ours), 1 for API problems and unreachable URLs.
import { Command, CommanderError } from 'commander';

import { version } from '../lib/version';
import { registerCompletion } from './commands/completion';
import { registerEvents } from './commands/events';
import { registerLogin } from './commands/login';
import { registerLogs } from './commands/logs';
import { registerVm } from './commands/vm';
import { ApiError, NetworkError, UsageError } from './errors';

export function buildProgram(): Command {
  const program = new Command('vmj')
    .description('Create VMs and read their systemd journals, like az vm and journalctl.')
    .version(version)
    .option('--url <url>', 'API base URL (default: profile, $VMJ_URL, else http://127.0.0.1:7071)')
    .option('--key <key>', 'function key (default: profile or $VMJ_KEY)')
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  $ vmj login --url http://127.0.0.1:7071
  $ vmj vm create web-1 --size small
  $ vmj logs web-1 -u ssh.service -b -p warning
  $ vmj logs web-1 -f
  $ vmj events -f

Run vmj COMMAND --help for a command's flags and examples.`,
    );
  registerLogin(program);
  registerVm(program);
  registerLogs(program);
  registerEvents(program);
  registerCompletion(program);
  return program;
}

/** Runs one command line; resolves with the exit code (cli/bin/vmj.cjs is the executable). */
export async function main(argv: string[]): Promise<number> {
  // `vmj logs … | head`: the reader went away; that is the end, not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0)
        return 0;
      if (e.code === 'commander.help') return 0;
      return 2; // commander printed the error already
    }
    if (e instanceof UsageError) {
      process.stderr.write(`vmj: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ApiError) {
      process.stderr.write(`vmj: ${e.oneLine()}\n`);
      return 1;
    }
    if (e instanceof NetworkError) {
      process.stderr.write(`vmj: ${e.message}\n`);
      return 1;
    }
    if ((e as Error)?.name === 'AbortError') return 0; // Ctrl-C during a request
    process.stderr.write(`vmj: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}
