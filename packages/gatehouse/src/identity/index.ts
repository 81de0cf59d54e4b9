export {
  identityMigrations,
  FREEZE_KINDS,
  type IdentityTables,
  type AccountState,
  type FreezeKind,
} from './schema.ts';
export {
  IdentityService,
  handleKey,
  type AccountView,
  type SessionView,
  type Authenticated,
} from './service.ts';
export type { IdentityOptions, RequestContext, StateChange, StateHook } from './core.ts';
export type { FreezeOptions } from './state.ts';
export {
  PasswordHasher,
  OWASP_ARGON2,
  DEFAULT_MIN_SCORE,
  checkPasswordStrength,
  type Argon2Params,
} from './passwords.ts';
export { isBreachedPassword, checkNotBreached, breachedListSize } from './breached.ts';
export { estimateStrength } from './strength.ts';
export { canonicalIp, networkOf, parseCidrList, forwardedClient } from './network.ts';
export { clientContext } from './client.ts';
export { parseDevice } from './device.ts';
export { identityRoutes } from './routes.ts';
export { signinOptionsFrom, type SigninOptions } from './mfa/options.ts';
export { revertSecondFactors, type SecondFactorsReverted } from './mfa/revert.ts';
export { MaxMindGeo, distanceKm, type GeoLookup, type GeoPlace } from './geo/geo.ts';
