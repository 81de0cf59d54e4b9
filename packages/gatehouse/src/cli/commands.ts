import type { Command } from 'commander';
import { registerIncidents } from '../incidents/command.ts';
import { registerAudit } from '../audit/command.ts';
import { registerBench } from '../bench/command.ts';
import { registerBanks, registerPdq } from '../content/image/command.ts';
import { registerTextCommands } from '../content/text/command.ts';
import { registerDomains } from '../content/url/command.ts';
import { registerReplay } from '../engine/command.ts';
import { registerKeys } from '../keys/command.ts';
import { registerOperators } from '../console/command.ts';
import { registerNotify } from '../notify/command.ts';
import { registerRecovery } from './recovery.ts';
import { registerServe } from './serve.ts';
import { registerDemo, registerSim } from '../sim/command.ts';
import { registerMigrate } from '../store/command.ts';
import { registerApps, registerOAuth } from '../oauth/command.ts';
import { registerWebhooks } from '../webhooks/command.ts';

/** Every CLI command, one register function each (its file sits beside the part it drives). */
export const COMMANDS: Array<(program: Command) => void> = [
  registerServe,
  registerMigrate,
  registerKeys,
  registerOperators,
  registerIncidents,
  registerBench,
  registerDomains,
  registerPdq,
  registerBanks,
  registerTextCommands,
  registerWebhooks,
  registerAudit,
  registerReplay,
  registerRecovery,
  registerNotify,
  registerSim,
  registerDemo,
  registerApps,
  registerOAuth,
];
