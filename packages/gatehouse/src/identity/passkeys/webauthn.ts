/** @simplewebauthn/server, loaded at the first passkey ceremony, not when the process starts. */
import type * as SimpleWebAuthn from '@simplewebauthn/server';

let lib: Promise<typeof SimpleWebAuthn> | undefined;
export const webauthn = (): Promise<typeof SimpleWebAuthn> => (lib ??= import('@simplewebauthn/server'));
