/**
 * The content part: pure scoring functions (text/, url/, image/) and the service that holds their
 * models and lists inside a running Gatehouse.
 */
export { ContentService, DEFAULT_BRANDS_FILE, type ContentOptions } from './service.ts';
export { loginQrPrefixes, readAttachmentImages } from './qr/index.ts';
export { contentMigrations, type ContentTables } from './schema.ts';
export { contentRoutes } from './routes.ts';
