import type { Command } from 'commander';
import { registerBench } from '../bench/command.ts';
import { registerBanks, registerPdq } from '../content/image/command.ts';

/** Every CLI command, one register function each (its file sits beside the part it drives). */
export const COMMANDS: Array<(program: Command) => void> = [registerBench, registerPdq, registerBanks];
