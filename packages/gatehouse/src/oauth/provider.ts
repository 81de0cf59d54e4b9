import { createHmac } from 'node:crypto';
import Provider, { interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { networkOf } from '../engine/index.ts';
import { deviceConfirmPage, deviceInputPage, errorPage, logoutPage, messagePage, pickLang } from './pages.ts';
import { ALL_SCOPES, claimsConfig } from './scopes.ts';
import { INTERACTION_PREFIX, PairwiseIds, ROUTES, type ProviderDeps } from './provider-base.ts';

export { INTERACTION_PREFIX, pairwiseSub, PairwiseIds, ROUTES, type ProviderDeps } from './provider-base.ts';

function derive(secret: Buffer, label: string): Buffer {
  return createHmac('sha256', secret).update(`gatehouse-oauth|${label}`).digest();
}

/**
 * The oidc-provider configuration: PKCE S256 for every client, refresh rotation (reuse revokes the
 * grant), revocation, introspection, RP-initiated and back-channel logout, PAR, DPoP, the device grant
 * with a confirmation page that names the app and where the request came from, field-level scopes and
 * pairwise subjects, Gatehouse's own sign-in behind the login prompt.
 */
export function buildProvider(d: ProviderDeps): Provider {
  const pairwise = d.pairwise ?? new PairwiseIds(derive(d.secretKey, 'pairwise'));
  const policy = interactionPolicy.base();
  // The provider's own session follows Gatehouse's: once the Gatehouse session ends (sign-out, freeze,
  // revoked), the next authorisation asks to sign in again.
  policy.get('login')!.checks.add(
    new interactionPolicy.Check(
      'gatehouse_session',
      'the Gatehouse session ended or belongs to another account',
      'login_required',
      async (ctx) => {
        const cookie = ctx.cookies.get(d.sessionCookieName, { signed: false });
        const account = await d.gatehouseSession(cookie);
        return account === undefined || account !== ctx.oidc.session?.accountId;
      },
    ),
  );

  const lang = (ctx: KoaContextWithOIDC) =>
    pickLang(
      typeof ctx.oidc?.params?.ui_locales === 'string' ? ctx.oidc.params.ui_locales : undefined,
      ctx.get('accept-language'),
    );

  const configuration: Configuration = {
    adapter: d.adapter,
    jwks: d.jwks as Configuration['jwks'],
    clients: [],
    cookies: {
      keys: [derive(d.secretKey, 'cookies').toString('base64url')],
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    routes: ROUTES,
    scopes: [...ALL_SCOPES],
    claims: claimsConfig(),
    subjectTypes: ['pairwise'],
    // the sector is the redirect host (all of an app's redirect URIs share one), never the provider's guess
    pairwiseIdentifier: (_ctx, accountId, client) =>
      pairwise.of(pairwise.sectorOf(client.redirectUris![0]!), accountId),
    sectorIdentifierUriValidate: () => false,
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
      subject_type: 'pairwise',
    },
    responseTypes: ['code'],
    pkce: { required: () => true },
    rotateRefreshToken: true,
    conformIdTokenClaims: true,
    allowOmittingSingleRegisteredRedirectUri: false,
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256', 'RS256'],
      dPoPSigningAlgValues: ['ES256', 'EdDSA', 'Ed25519'],
    },
    ttl: {
      AccessToken: d.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: d.refreshTokenTtlSeconds,
      DeviceCode: 300,
      Interaction: 600,
      Session: 14 * 86_400,
      Grant: d.refreshTokenTtlSeconds,
    },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: false },
      // an app may introspect and revoke only its own tokens
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      userinfo: { enabled: true },
      dPoP: { enabled: true },
      pushedAuthorizationRequests: { enabled: true },
      resourceIndicators: { enabled: false },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.type = 'html';
          ctx.body = logoutPage(lang(ctx), form);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.type = 'html';
          ctx.body = messagePage(lang(ctx), 'signedOut');
        },
      },
      deviceFlow: {
        enabled: true,
        charset: 'base-20',
        mask: '****-****',
        deviceInfo: (ctx) => ({ ip: ctx.ip, ua: ctx.get('user-agent').slice(0, 300), at: Date.now() }),
        userCodeInputSource: async (ctx, form, _out, err) => {
          ctx.type = 'html';
          const e = err as (Error & { userCode?: string }) | undefined;
          ctx.body = deviceInputPage({
            lang: lang(ctx),
            form,
            ...(e
              ? {
                  error:
                    e.userCode || e.name === 'NoCodeError'
                      ? 'wrong'
                      : e.name === 'AbortedError'
                        ? 'aborted'
                        : 'failed',
                }
              : {}),
          });
        },
        userCodeConfirmSource: async (ctx, form, client, deviceInfo, userCode) => {
          const info = (deviceInfo ?? {}) as { ip?: string; ua?: string; at?: number };
          const app = (await d.app(client.clientId)) ?? {
            name: { en: client.clientId, zh: client.clientId },
            verified: false,
          };
          const ip = info.ip ?? '';
          ctx.type = 'html';
          ctx.body = deviceConfirmPage({
            lang: lang(ctx),
            app,
            form,
            userCode,
            origin: { ip, network: ip ? networkOf(ip) : '', device: info.ua ?? '', at: info.at },
            differentNetwork: ip !== '' && networkOf(ip) !== networkOf(ctx.ip),
          });
        },
        successSource: async (ctx) => {
          ctx.type = 'html';
          ctx.body = messagePage(lang(ctx), 'done');
        },
      },
    },
    interactions: {
      policy,
      url: (_ctx, interaction) => `${INTERACTION_PREFIX}/${interaction.uid}`,
    },
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    findAccount: async (ctx, sub) => {
      const acc = await d.account(sub);
      if (!acc) return undefined;
      return {
        accountId: acc.id,
        claims: async (use, scope) => {
          if (use === 'id_token' && idTokenSubOnly) return { sub: acc.id };
          const clientId = ctx.oidc.client?.clientId ?? '';
          const claims = await d.claims({
            accountId: acc.id,
            clientId,
            scope,
            use,
            ip: ctx.ip,
            grantId: ctx.oidc.entities?.AccessToken?.grantId ?? ctx.oidc.entities?.Grant?.jti,
            account: acc,
          });
          return { sub: acc.id, ...claims };
        },
      };
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = errorPage(lang(ctx), out);
    },
    clockTolerance: 5,
    // the provider guards its outgoing requests against private addresses; lifted only when configured
    ...(d.fetchPrivateAddresses
      ? {
          fetch: (url: string | URL | Request, options?: RequestInit) =>
            fetch(url, { ...options, dispatcher: undefined } as RequestInit),
        }
      : {}),
  };

  /**
   * ID tokens carry no claim of a scope but `sub` (the fields go to userinfo): with conformIdTokenClaims,
   * userinfo on and no resource indicators (so no access token audience) the provider masks every ID
   * token it issues to the `openid` scope, and without the claims parameter nothing else is asked for.
   * `findAccount`'s claims for an ID token are then only `sub`: the profile is not read for them (it was
   * read on every token request, then dropped by the mask).
   */
  const f = configuration.features!;
  const idTokenSubOnly =
    configuration.conformIdTokenClaims === true &&
    f.userinfo?.enabled === true &&
    f.claimsParameter?.enabled !== true &&
    f.resourceIndicators?.enabled !== true;
  const provider = new Provider(d.issuer, configuration);
  provider.proxy = d.trustProxy;
  if (d.onError) {
    const onError = d.onError;
    provider.on('backchannel.error', (_ctx, err) => onError('backchannel.error', err));
    provider.on('server_error', (_ctx, err) => onError('server_error', err));
  }
  return provider;
}
