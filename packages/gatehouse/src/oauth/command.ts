import type { Command } from 'commander';
import { appendAuditInTx } from '../audit/index.ts';
import { configFrom, withConfigOptions } from '../cli/config-options.ts';
import { IdentityService } from '../identity/index.ts';
import { IncidentService } from '../incidents/index.ts';
import { createLogger } from '../log/index.ts';
import { migrate, openStore } from '../store/index.ts';
import { enqueueInTx, resolveSecretKey, SecretBox } from '../webhooks/index.ts';
import { oauthOptionsFrom } from './index.ts';
import { AppInput, type AppView } from './registry.ts';
import { OAuthService } from './service.ts';

type Opts = { config?: string; dataDir?: string; databaseUrl?: string; json?: boolean };

async function withOAuth<T>(opts: Opts, fn: (s: OAuthService) => Promise<T>): Promise<T> {
  const config = configFrom(opts);
  const log = createLogger(config.logLevel, process.stderr);
  const store = openStore(config.database, { sqliteSynchronous: config.sqliteSynchronous });
  try {
    await migrate(store);
    const secretKey = resolveSecretKey(config, log);
    const incidents = new IncidentService(store.db, {
      massThreshold: config.incidentMassThreshold,
      massWindowMs: config.incidentMassWindowMinutes * 60_000,
      contact: config.incidentContact,
    });
    const identity = new IdentityService(store.db, {
      argon2: {
        memoryKiB: config.argon2MemoryKib,
        iterations: config.argon2Iterations,
        parallelism: config.argon2Parallelism,
      },
      sessionTtlMs: config.sessionTtlHours * 3_600_000,
      sessionIdleMs: config.sessionIdleHours * 3_600_000,
      loginMaxFailuresPerAccount: config.loginMaxFailuresPerAccount,
      loginMaxFailuresPerIp: config.loginMaxFailuresPerIp,
      loginWindowMs: config.loginWindowSeconds * 1000,
      signupMaxPerIp: config.signupMaxPerIp,
    });
    const oauth = new OAuthService(
      {
        db: store.db,
        box: new SecretBox(secretKey),
        secretKey,
        log,
        identity,
        incidents,
        enqueueWebhook: enqueueInTx,
        appendAudit: appendAuditInTx,
      },
      oauthOptionsFrom(config),
    );
    try {
      return await fn(oauth);
    } finally {
      await oauth.close();
    }
  } finally {
    await store.close();
  }
}

const list = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function line(a: AppView): string {
  return `${a.id}\t${a.status}\t${a.verified ? 'verified' : 'unverified'}\t${a.kind}\t${a.name.en} / ${a.name.zh}\t${a.allowedScopes.join(' ')}`;
}

export function registerApps(program: Command): void {
  const apps = program
    .command('apps')
    .description('Third-party apps: register, list, suspend (kill switch), resume / 第三方应用');
  withConfigOptions(
    apps
      .command('add')
      .description('Register an app; prints its client id and (confidential apps) its secret once')
      .requiredOption('--name <en>', 'English name')
      .requiredOption('--name-zh <zh>', 'Chinese name')
      .requiredOption('--redirect <uris>', 'comma-separated exact redirect URIs (one host)')
      .requiredOption(
        '--scopes <list>',
        'comma-separated scope ceiling (nickname, avatar, region, friend_count, friends, phone, email, offline_access)',
      )
      .option(
        '--reviewed <list>',
        'scopes an operator reviewed (friends; phone/email unmasked when verified)',
      )
      .option('--verified', 'the platform verified who runs the app')
      .option('--public', 'a public client (no secret; DPoP required)')
      .option('--device', 'allow the device authorisation grant (needs --jwks-uri)')
      .option('--jwks-uri <uri>', "the app's public keys (it then authenticates with private_key_jwt)")
      .option('--post-logout <uris>', 'comma-separated post-logout redirect URIs')
      .option('--backchannel-logout <uri>', 'back-channel logout URI')
      .option('--rate-limit <n>', 'resource reads per minute', '600')
      .option('--json', 'print JSON'),
  ).action(
    async (
      opts: Opts & {
        name: string;
        nameZh: string;
        redirect: string;
        scopes: string;
        reviewed?: string;
        verified?: boolean;
        public?: boolean;
        device?: boolean;
        jwksUri?: string;
        postLogout?: string;
        backchannelLogout?: string;
        rateLimit: string;
      },
    ) => {
      const input = AppInput.parse({
        name: { en: opts.name, zh: opts.nameZh },
        kind: opts.public ? 'public' : 'confidential',
        redirectUris: list(opts.redirect),
        postLogoutRedirectUris: list(opts.postLogout),
        scopes: list(opts.scopes),
        reviewedScopes: list(opts.reviewed),
        verified: !!opts.verified,
        grantTypes: [
          'authorization_code',
          'refresh_token',
          ...(opts.device ? (['device_code'] as const) : []),
        ],
        ...(opts.backchannelLogout ? { backchannelLogoutUri: opts.backchannelLogout } : {}),
        ...(opts.jwksUri ? { jwksUri: opts.jwksUri } : {}),
        rateLimitPerMinute: Number(opts.rateLimit),
      });
      const r = await withOAuth(opts, (s) => s.registry.add(input));
      if (opts.json) return console.log(JSON.stringify(r));
      console.log(r.app.id);
      if (r.clientSecret) console.log(r.clientSecret);
      console.error(
        `app ${r.app.id} registered${r.clientSecret ? '; store the client secret now, it is not shown again / 请立即保存客户端密钥，它不会再次显示' : ''}`,
      );
    },
  );
  withConfigOptions(apps.command('list').description('List apps').option('--json', 'print JSON')).action(
    async (opts: Opts) => {
      const all = await withOAuth(opts, (s) => s.registry.list());
      if (opts.json) return console.log(JSON.stringify(all));
      if (all.length === 0) return console.log('no apps');
      for (const a of all) console.log(line(a));
    },
  );
  withConfigOptions(
    apps
      .command('suspend')
      .description(
        'Kill switch: suspend an app platform-wide (revokes every grant and token, tells its users, opens an incident)',
      )
      .argument('<id>', 'app (client) id')
      .requiredOption('--reason <text>', 'why (goes to users and the incident)')
      .option('--json', 'print JSON'),
  ).action(async (id: string, opts: Opts & { reason: string }) => {
    const r = await withOAuth(opts, (s) => s.suspend(id, opts.reason, 'cli'));
    if (opts.json) return console.log(JSON.stringify(r));
    console.log(
      `${id} suspended: ${r.grants} grants and ${r.revoked} tokens/codes revoked, ${r.users} users told, incident ${r.incident}`,
    );
  });
  withConfigOptions(
    apps
      .command('resume')
      .description('Let a suspended app work again (users authorise it anew)')
      .argument('<id>', 'app (client) id')
      .requiredOption('--reason <text>', 'why')
      .option('--json', 'print JSON'),
  ).action(async (id: string, opts: Opts & { reason: string }) => {
    const a = await withOAuth(opts, (s) => s.resume(id, opts.reason, 'cli'));
    if (opts.json) return console.log(JSON.stringify(a));
    console.log(line(a));
  });
}

export function registerOAuth(program: Command): void {
  const oauth = program.command('oauth').description('The OpenID Connect provider / OpenID Connect 提供方');
  const keys = oauth.command('keys').description('Signing keys');
  withConfigOptions(
    keys
      .command('rotate')
      .description('New signing keys; the previous ones stay published until oauthKeyOverlapHours pass')
      .option('--json', 'print JSON'),
  ).action(async (opts: Opts) => {
    const config = configFrom(opts);
    const r = await withOAuth(opts, async (s) => {
      await s.keys.ensure();
      const out = await s.keys.rotate(config.oauthKeyOverlapHours * 3_600_000);
      return { ...out, keys: await s.keys.list() };
    });
    if (opts.json) return console.log(JSON.stringify(r));
    for (const k of r.keys)
      console.log(
        `${k.kid}\t${k.alg}\t${k.state}${k.expiresAt ? `\tpublished until ${new Date(k.expiresAt).toISOString()}` : ''}`,
      );
  });
  withConfigOptions(
    keys.command('list').description('List published keys').option('--json', 'print JSON'),
  ).action(async (opts: Opts) => {
    const r = await withOAuth(opts, async (s) => {
      await s.keys.ensure();
      return s.keys.list();
    });
    if (opts.json) return console.log(JSON.stringify(r));
    for (const k of r) console.log(`${k.kid}\t${k.alg}\t${k.state}`);
  });
}
