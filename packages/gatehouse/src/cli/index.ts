import { Command, CommanderError, type OutputConfiguration } from 'commander';
import { isGatehouseError } from '../errors/index.ts';
import { COMMANDS } from './commands.ts';

/**
 * Builds the `gatehouse` command line. Each command lives in its own file and registers itself.
 * `output` redirects commander's own output (help, usage errors) for every command (tests).
 */
export function buildProgram(output?: OutputConfiguration): Command {
  const program = new Command('gatehouse')
    .description(
      'Gatehouse: account protection for social and messaging platforms / 社交与即时通讯平台的账号保护',
    )
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  if (output) program.configureOutput(output);
  for (const register of COMMANDS) register(program);
  return program;
}

export async function main(argv: string[], output?: OutputConfiguration): Promise<void> {
  const program = buildProgram(output);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    if (isGatehouseError(e)) {
      console.error(`gatehouse: ${e.code}: ${e.message}`);
      process.exitCode = 2;
      return;
    }
    console.error(e);
    process.exitCode = 1;
  }
}
