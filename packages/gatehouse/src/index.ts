export { createGatehouse, type Gatehouse, type CreateOptions } from './gatehouse.ts';
export { loadConfig, type Config, SETTINGS, settingsTable } from './config/index.ts';
export { ERRORS, GatehouseError, type ErrorCode } from './errors/index.ts';
