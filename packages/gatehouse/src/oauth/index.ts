/**
 * Third-party apps (issue 13): an OpenID Connect provider on oidc-provider with Gatehouse's own storage,
 * sign-in and consent, field-level scopes and pairwise ids, a resource API whose every read is logged,
 * users' authorised apps, the kill switch and app anomalies. See README.md beside this file.
 */
export { oauthMigrations, type OAuthTables } from './schema.ts';
export { OAuthService, type OAuthOptions, type OAuthDeps, type AuthorisedApp } from './service.ts';
export { oauthRoutes } from './routes.ts';
export { OAuthGrantRevoker, OAuthGrantsPort, type ReviewGrant, type AppReads } from './ports.ts';
export {
  factsFromEventLog,
  foldPlatformEvents,
  type PlatformFacts,
  type PlatformEventLog,
} from './platform.ts';
export { AppRegistry, AppInput, type AppView } from './registry.ts';
export { SigningKeys } from './keys.ts';
export { FIELD_SCOPES, ALL_SCOPES, claimsFor, maskPhone, maskEmail } from './scopes.ts';
export { ROUTES as OIDC_ROUTES } from './provider-base.ts';
export { AppAnomalyDetector, ANOMALY_DEFAULTS, ANOMALY_WEIGHTS, ANOMALY_BIAS } from './anomaly.ts';

import type { Config } from '../config/index.ts';
import type { OAuthOptions } from './service.ts';
import { sessionCookieName } from '../server/auth.ts';

/** The OAuth options from the settings. */
export function oauthOptionsFrom(config: Config): OAuthOptions {
  return {
    issuer: config.oauthIssuer,
    keyOverlapMs: config.oauthKeyOverlapHours * 3_600_000,
    accessTokenTtlSeconds: config.oauthAccessTokenTtlSeconds,
    refreshTokenTtlSeconds: config.oauthRefreshTokenTtlDays * 86_400,
    userCodesPerIp: config.oauthUserCodesPerIp,
    accessLogFlushMs: config.oauthAccessLogFlushMs,
    trustProxy: config.trustProxy,
    fetchPrivateAddresses: config.oauthFetchPrivateAddresses,
    sessionCookieName: sessionCookieName(config),
  };
}
