import { createHash } from 'node:crypto';
import type Provider from 'oidc-provider';

/** The redirect URI of the apps whose codes `mint` issues (the OAuth benchmark's and tests'). */
export const BENCH_REDIRECT = 'https://game.example/cb';

/**
 * Issues grants, codes and tokens straight through the provider's models (what a finished sign-in and
 * consent would have produced), so the benchmark measures the token and userinfo endpoints alone.
 */
export async function mint(
  provider: Provider,
  g: { accountId: string; clientId: string; scope: string },
): Promise<{
  grantId: string;
  accessToken(): Promise<string>;
  refreshToken(): Promise<string>;
  code(verifier: string): Promise<string>;
}> {
  const client = await provider.Client.find(g.clientId);
  if (!client) throw new Error(`no active client ${g.clientId}`);
  const grant = new provider.Grant({ accountId: g.accountId, clientId: g.clientId });
  grant.addOIDCScope(g.scope);
  const grantId = await grant.save();
  const now = Math.floor(Date.now() / 1000);
  return {
    grantId,
    accessToken: () =>
      new provider.AccessToken({
        accountId: g.accountId,
        client,
        grantId,
        scope: g.scope,
        gty: 'authorization_code',
      }).save(),
    refreshToken: () =>
      new provider.RefreshToken({
        accountId: g.accountId,
        client,
        grantId,
        scope: g.scope,
        gty: 'authorization_code',
        iiat: now,
        rotations: 0,
        authTime: now,
      }).save(),
    code: (verifier: string) =>
      new provider.AuthorizationCode({
        accountId: g.accountId,
        client,
        grantId,
        scope: g.scope,
        gty: 'authorization_code',
        redirectUri: BENCH_REDIRECT,
        codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
        codeChallengeMethod: 'S256',
        authTime: now,
      }).save(),
  };
}
