import type { Command } from 'commander';
import { registerBench } from '../bench/command.ts';
import { registerTextCommands } from '../content/text/command.ts';

/** Every CLI command, one register function each (its file sits beside the part it drives). */
export const COMMANDS: Array<(program: Command) => void> = [registerBench, registerTextCommands];
