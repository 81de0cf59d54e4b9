// The web console part: the built pages (/console/ for operators, /me/ for owners), the operator
// accounts with their cookie sessions and roles, and the console-facing endpoints.

export { CONSOLE_CSP, CONSOLE_DIST, consoleStatic } from './static.ts';
export { consoleMigrations, ROLES, type Role, type ConsoleTables } from './schema.ts';
export { OperatorService, parseRole, type OperatorView } from './operators.ts';
export { ROLE_SCOPES, roleAllows } from './roles.ts';
export { consoleCookieName } from './auth.ts';

export { consoleModule } from './module.ts';
