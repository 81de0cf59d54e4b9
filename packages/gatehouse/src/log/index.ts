import { pino, type Bindings, type ChildLoggerOptions, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Paths whose values never reach a log line (secrets, tokens, passwords, cookies). */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'password',
  'currentPassword',
  'newPassword',
  'token',
  'secret',
  'apiKey',
  '*.password',
  '*.token',
  '*.secret',
  '*.apiKey',
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'gatehouse' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}

/**
 * The HTTP server's per-request logger (Fastify's `childLoggerFactory`): a child bound to the request id,
 * with the redaction above, whenever the logger writes anything; when it writes nothing at all (level
 * silent, as the benchmarks run), the logger itself, so no request pays for a child and its bindings
 * that could never reach a line. Nothing sets the level at run time, so the choice holds.
 */
export function requestLogger(logger: Logger, bindings: Bindings, opts: ChildLoggerOptions): Logger {
  return logger.isLevelEnabled('fatal') ? logger.child(bindings, opts) : logger;
}
