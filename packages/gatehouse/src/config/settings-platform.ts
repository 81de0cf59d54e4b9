import { z } from 'zod';
import { bool, int, type Setting } from './kit.ts';

/** Settings: the server, store, sessions, sign-in limits, content files, response, incidents, outbox, webhooks and the engine. */
export const PLATFORM_SETTINGS = {
  host: {
    schema: z.string().min(1),
    default: '127.0.0.1',
    form: 'host name or IP address',
    doc: 'Address the HTTP server binds to',
  },
  port: {
    schema: int(0, 65535),
    default: 8080,
    form: 'integer 0-65535',
    doc: 'HTTP port (0 picks a free port)',
  },
  dataDir: {
    schema: z.string().min(1),
    default: './data',
    form: 'directory path',
    doc: 'Directory for the embedded SQLite database and state snapshots',
  },
  databaseUrl: {
    schema: z
      .string()
      .refine(
        (v) => v === '' || /^postgres(ql)?:\/\//.test(v) || v.startsWith('sqlite:'),
        'postgres://… or sqlite:PATH or empty',
      ),
    default: '',
    form: 'empty (SQLite in dataDir), sqlite:PATH or postgres://user@host:port/db',
    doc: 'Database; empty means the embedded SQLite file <dataDir>/gatehouse.db',
  },
  redisUrl: {
    schema: z.string().refine((v) => v === '' || /^rediss?:\/\//.test(v), 'redis://… or rediss://… or empty'),
    default: '',
    form: 'empty (counters in the database) or redis://host:port/db',
    doc: 'Redis for the attempt counters and per-network limits shared by every process; when it is down, credential attempts are refused (503 RATE_LIMIT_UNAVAILABLE)',
  },
  sqliteSynchronous: {
    schema: z.enum(['FULL', 'NORMAL']),
    default: 'FULL',
    form: 'FULL or NORMAL',
    doc: 'SQLite fsync mode (FULL survives power loss; NORMAL survives process crashes)',
  },
  logLevel: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    form: 'fatal|error|warn|info|debug|trace|silent',
    doc: 'Log level',
  },
  bodyLimit: {
    schema: int(1024, 64 * 1024 * 1024),
    default: 1024 * 1024,
    form: 'bytes (integer)',
    doc: 'Largest accepted request body; bigger bodies get 413',
  },
  trustProxy: {
    schema: bool,
    default: false,
    form: 'true or false',
    doc: 'Trust X-Forwarded-For for the client IP, and only from trustedProxies (only behind your own proxy)',
  },
  cookieSecure: {
    schema: bool,
    default: true,
    form: 'true or false',
    doc: 'Mark session cookies Secure (browsers still accept them on http://localhost)',
  },
  cookieSameSite: {
    schema: z.enum(['strict', 'lax']),
    default: 'lax',
    form: 'strict or lax',
    doc: 'SameSite attribute of the session cookie',
  },
  sessionTtlHours: {
    schema: int(1, 24 * 365),
    default: 24 * 30,
    form: 'hours (integer)',
    doc: 'Absolute lifetime of a session',
  },
  sessionIdleHours: {
    schema: int(1, 24 * 365),
    default: 24 * 7,
    form: 'hours (integer)',
    doc: 'A session unused this long ends',
  },
  consoleLiveIntervalMs: {
    schema: int(50, 60_000),
    default: 2000,
    form: 'milliseconds (integer)',
    doc: "How often the console's live overview stream (GET /v1/console/overview/stream) sends the overview",
  },
  argon2MemoryKib: {
    schema: int(8 * 1024, 4 * 1024 * 1024),
    default: 19456,
    form: 'KiB (integer >= 8192)',
    doc: 'Argon2id memory cost (OWASP: 19 MiB with t=2, p=1)',
  },
  argon2Iterations: { schema: int(1, 100), default: 2, form: 'integer >= 1', doc: 'Argon2id time cost' },
  argon2Parallelism: { schema: int(1, 16), default: 1, form: 'integer >= 1', doc: 'Argon2id parallelism' },
  loginMaxFailuresPerAccount: {
    schema: int(1, 1000),
    default: 5,
    form: 'integer',
    doc: 'Failed sign-ins per account per window before Retry-After',
  },
  loginMaxFailuresPerIp: {
    schema: int(1, 100000),
    default: 30,
    form: 'integer',
    doc: 'Failed sign-ins per IP address per window before Retry-After',
  },
  loginWindowSeconds: {
    schema: int(1, 86400),
    default: 900,
    form: 'seconds (integer)',
    doc: 'Window for the failed sign-in limits',
  },
  signupMaxPerIp: {
    schema: int(1, 100000),
    default: 20,
    form: 'integer',
    doc: 'Account creations per IP address per hour',
  },
  textModelFile: {
    schema: z.string(),
    default: '',
    form: 'path, or empty',
    doc: 'Text model; empty uses <dataDir>/models/text.bin (where operator labels are learned) or else the shipped model',
  },
  brandsFile: {
    schema: z.string(),
    default: '',
    form: 'path to a brands JSON file, or empty',
    doc: 'Protected brands for lookalike detection (reloaded on change); empty uses packages/gatehouse/config/brands.example.json',
  },
  blocklistFile: {
    schema: z.string(),
    default: '',
    form: 'path, or empty',
    doc: 'Operator domain/URL blocklist, one entry a line (reloaded on change)',
  },
  allowlistFile: {
    schema: z.string(),
    default: '',
    form: 'path, or empty',
    doc: 'Operator domain/URL allowlist, one entry a line (reloaded on change)',
  },
  imageBankFile: {
    schema: z.string(),
    default: '',
    form: 'path to a hash bank (CSV/HMA or .ghbank), or empty',
    doc: 'Image hash bank (PDQ and SHA-256) loaded at start',
  },
  policyFile: {
    schema: z.string(),
    default: '',
    form: 'path to a YAML policy file, or empty for the shipped default',
    doc: 'Response policy (reloaded when the file changes); empty uses packages/gatehouse/config/policy.default.yaml',
  },
  responseQueueMax: {
    schema: int(100, 1_000_000),
    default: 10_000,
    form: 'integer from 100 to 1000000',
    doc: 'Decisions waiting for the response part at most; when full, the outbox waits (back-pressure: /readyz says not ready, gatehouse_response_queue_depth shows it) and the pre-send check is not slowed',
  },
  responseBatchMs: {
    schema: int(0, 10_000),
    default: 200,
    form: 'milliseconds from 0 to 10000 (0: no batching)',
    doc: "A contained account's later blocked messages are retracted and their recipients warned together: one action, one audit entry and one webhook per account per this window",
  },
  incidentMassThreshold: {
    schema: int(2, 100000),
    default: 5,
    form: 'integer >= 2',
    doc: 'Accounts contained within the window that make a mass-hijack incident',
  },
  incidentMassWindowMinutes: {
    schema: int(1, 1440),
    default: 10,
    form: 'minutes (integer)',
    doc: 'Window for mass-hijack incidents',
  },
  incidentContact: {
    schema: z.string().min(1).max(500),
    default: "the platform's security team, through the in-app help centre",
    form: 'text',
    doc: 'Contact line printed in incident notices',
  },
  outboxPollMs: {
    schema: int(10, 60000),
    default: 200,
    form: 'milliseconds (integer)',
    doc: 'How often the outbox drainer looks for unpublished events',
  },
  outboxLeaseSeconds: {
    schema: int(2, 3600),
    default: 10,
    form: 'seconds (integer)',
    doc: 'PostgreSQL: one process at a time drains the outbox under a lease; a dead holder is replaced within this time',
  },
  secretKey: {
    schema: z
      .string()
      .refine(
        (v) => v === '' || (/^[A-Za-z0-9+/]{43}=$/.test(v) && Buffer.from(v, 'base64').length === 32),
        'base64 of 32 bytes or empty',
      ),
    default: '',
    secret: true,
    form: 'base64 of 32 random bytes (`openssl rand -base64 32`) or empty',
    doc: 'Key that encrypts webhook signing secrets at rest (AES-256-GCM); empty: generated once into <dataDir>/secret.key. Set it (the same everywhere) when several processes share PostgreSQL',
  },
  webhookRetryBaseMs: {
    schema: int(1, 3_600_000),
    default: 2000,
    form: 'milliseconds (integer)',
    doc: 'First retry delay of a failed webhook; it doubles per attempt (full jitter)',
  },
  webhookRetryCapMs: {
    schema: int(1, 86_400_000),
    default: 3_600_000,
    form: 'milliseconds (integer)',
    doc: 'Longest delay between two webhook attempts',
  },
  webhookMaxAttempts: {
    schema: int(1, 1000),
    default: 25,
    form: 'integer >= 1',
    doc: 'Attempts before a webhook delivery is dead-lettered',
  },
  webhookMaxAgeHours: {
    schema: int(1, 24 * 90),
    default: 72,
    form: 'hours (integer)',
    doc: 'A delivery still failing this long after it was enqueued is dead-lettered',
  },
  webhookTimeoutMs: {
    schema: int(100, 120_000),
    default: 10_000,
    form: 'milliseconds (integer)',
    doc: 'Timeout of one webhook request (connect to end of response)',
  },
  webhookConcurrency: {
    schema: int(1, 1000),
    default: 16,
    form: 'integer >= 1',
    doc: 'Webhook requests in flight at once (each account/endpoint pair has at most one)',
  },
  webhookPollMs: {
    schema: int(10, 60_000),
    default: 250,
    form: 'milliseconds (integer)',
    doc: 'How often the webhook dispatcher looks for due deliveries (it is also woken on commit)',
  },
  webhookSecretOverlapHours: {
    schema: int(0, 24 * 30),
    default: 24,
    form: 'hours (integer)',
    doc: 'After a secret rotation, how long messages are also signed with the old secret',
  },
  webhookRetentionDays: {
    schema: int(1, 3650),
    default: 30,
    form: 'days (integer)',
    doc: 'Delivered webhook messages and their attempts older than this are deleted (dead letters are kept)',
  },
  eventsBodyLimit: {
    schema: int(1024, 256 * 1024 * 1024),
    default: 16 * 1024 * 1024,
    form: 'bytes (integer)',
    doc: 'Largest body of POST /v1/events (a batch of up to 1,000 events)',
  },
  engineSnapshotSeconds: {
    schema: int(0, 86_400),
    default: 300,
    form: 'seconds (integer), 0 = only at shutdown',
    doc: 'How often the engine writes its state snapshot (<dataDir>/engine/snapshot.json.gz)',
  },
} as const satisfies Record<string, Setting>;
