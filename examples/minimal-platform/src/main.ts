/**
 * Runs the minimal platform against a running Gatehouse:
 *
 *   GATEHOUSE_URL=http://127.0.0.1:8080 GATEHOUSE_KEY=ghk_… WEBHOOK_SECRET=whsec_… PORT=3100 \
 *     node examples/minimal-platform/src/main.ts
 */
import { Platform } from './platform.ts';

const env = (name: string, fallback?: string): string => {
  const v = process.env[name] ?? fallback;
  if (v === undefined || v === '') {
    console.error(`minimal-platform: set ${name} (see examples/minimal-platform/README.md)`);
    process.exit(2);
  }
  return v;
};

const platform = new Platform({
  gatehouse: env('GATEHOUSE_URL', 'http://127.0.0.1:8080'),
  apiKey: env('GATEHOUSE_KEY'),
  webhookSecrets: env('WEBHOOK_SECRET').split(','),
  port: Number(env('PORT', '3100')),
});
console.log(`minimal-platform listening on ${await platform.listen()}`);
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => void platform.close().then(() => process.exit(0)));
