export { identityMigrations, type IdentityTables, type AccountState } from './schema.ts';
export {
  IdentityService,
  handleKey,
  type IdentityOptions,
  type RequestContext,
  type AccountView,
  type SessionView,
  type Authenticated,
} from './service.ts';
export { PasswordHasher, OWASP_ARGON2, checkPasswordStrength, type Argon2Params } from './passwords.ts';
export { parseDevice } from './device.ts';
export { identityRoutes } from './routes.ts';
