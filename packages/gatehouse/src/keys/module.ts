import type { Core, PartModule, Wiring } from '../core/index.ts';
import { KeyService } from './index.ts';

/** Operator API keys: the service every part's routes authenticate with (no routes of its own). */
export function keysModule(core: Core, w: Wiring): PartModule<{ keys: KeyService }> {
  const keys = w.set('keys', new KeyService(core.store.db));
  return { name: 'keys', services: { keys } };
}
