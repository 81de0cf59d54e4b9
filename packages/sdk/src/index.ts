export const SDK_VERSION = '0.1.0';
export * from './identity-events.ts';
export * from './client.ts';
export * from './webhooks.ts';
export * from './platform-events.ts';
export * from './events-client.ts';
export * from './recovery-events.ts';
