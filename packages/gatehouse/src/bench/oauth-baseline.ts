import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { median, registerBenchmark, type BenchOptions, type Figures } from './index.ts';
import { load } from './oauth.ts';
import { tempDir } from '../testing/index.ts';

const REDIRECT = 'https://game.example/cb';

/** The least adapter the provider works with: rows in a Map (codes and refresh tokens consumed in place). */
function memoryAdapter(): new (name: string) => Adapter {
  const rows = new Map<string, { payload: AdapterPayload; expiresAt: number }>();
  const byGrant = new Map<string, Set<string>>();
  return class MemoryAdapter implements Adapter {
    private readonly name: string;
    constructor(name: string) {
      this.name = name;
    }
    private key(id: string) {
      return `${this.name}:${id}`;
    }
    async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
      const k = this.key(id);
      rows.set(k, { payload, expiresAt: Date.now() + expiresIn * 1000 });
      if (payload.grantId) {
        let s = byGrant.get(payload.grantId);
        if (!s) byGrant.set(payload.grantId, (s = new Set()));
        s.add(k);
      }
    }
    async find(id: string) {
      const r = rows.get(this.key(id));
      return r && r.expiresAt > Date.now() ? r.payload : undefined;
    }
    async findByUid(uid: string) {
      for (const r of rows.values()) if (r.payload.uid === uid) return r.payload;
      return undefined;
    }
    async findByUserCode(userCode: string) {
      for (const r of rows.values()) if (r.payload.userCode === userCode) return r.payload;
      return undefined;
    }
    async consume(id: string) {
      const r = rows.get(this.key(id));
      if (r) r.payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      rows.delete(this.key(id));
    }
    async revokeByGrantId(grantId: string) {
      for (const k of byGrant.get(grantId) ?? []) rows.delete(k);
      byGrant.delete(grantId);
    }
  };
}

/**
 * The same endpoints on oidc-provider alone: no Fastify, no database, no access log, no registry; the
 * settings of Gatehouse's provider that cost CPU per request kept (ES256 ID tokens with RS256 published,
 * PKCE S256 required, DPoP enabled, pairwise subjects, refresh rotation, opaque tokens, client secret
 * in a Basic header). The ceiling `bench oauth` can be read against: run both back to back.
 */
async function run(opts: BenchOptions): Promise<Figures> {
  const t = tempDir('gatehouse-bench-');
  const es = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const rs = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const secret = randomBytes(24).toString('base64url');
  const scope = 'openid nickname offline_access';
  // loaded here, not when the CLI starts (every command registers every benchmark)
  const { default: Provider } = await import('oidc-provider');
  const provider = new Provider('http://127.0.0.1', {
    adapter: memoryAdapter(),
    jwks: {
      keys: [
        { ...es, kid: 'es', alg: 'ES256', use: 'sig' },
        { ...rs, kid: 'rs', alg: 'RS256', use: 'sig' },
      ] as never,
    },
    clients: [
      {
        client_id: 'bench',
        client_secret: secret,
        redirect_uris: [REDIRECT],
        grant_types: ['authorization_code', 'refresh_token'],
        id_token_signed_response_alg: 'ES256',
        subject_type: 'pairwise',
      },
    ],
    scopes: ['openid', 'offline_access', 'nickname'],
    claims: { nickname: ['nickname'] },
    subjectTypes: ['pairwise'],
    pairwiseIdentifier: (_ctx, accountId, client) =>
      createHash('sha256').update(`${client.redirectUris![0]}|${accountId}`).digest('base64url'),
    pkce: { required: () => true },
    rotateRefreshToken: true,
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256', 'RS256'],
      dPoPSigningAlgValues: ['ES256', 'EdDSA', 'Ed25519'],
    },
    ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 86_400, Grant: 86_400 },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      dPoP: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
    },
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, nickname: 'bench' }) }),
    routes: { token: '/oidc/token', userinfo: '/oidc/me' },
  });
  const server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const client = (await provider.Client.find('bench'))!;
    const headers = {
      authorization: `Basic ${Buffer.from(`bench:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    };
    const rounds = Math.max(1, Math.round(3 * opts.scale));
    const supply = Math.max(500, Math.round(2000 * opts.scale));
    const durationMs = Math.max(1000, Math.round(3000 * opts.scale));
    const now = Math.floor(Date.now() / 1000);
    const perCpu = { code: [] as number[], refresh: [] as number[], userinfo: [] as number[] };
    const once = async (bodies: string[]) => {
      const r = await load(t.dir, {
        once: true,
        url,
        concurrency: 16,
        requests: bodies.map((body) => ({ method: 'POST', path: '/oidc/token', headers, body })),
      });
      if ((r.statuses['200'] ?? 0) !== r.count)
        throw new Error(`oauth-baseline: ${JSON.stringify(r.statuses)}`);
      return r.count / (r.cpuUs / 1e6);
    };
    for (let round = 0; round < rounds; round++) {
      const grant = new provider.Grant({ accountId: 'bench-account', clientId: 'bench' });
      grant.addOIDCScope(scope);
      const grantId = await grant.save();
      const base = { accountId: 'bench-account', client, grantId, scope, gty: 'authorization_code' };
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const codes: string[] = [];
      for (let i = 0; i < supply; i++)
        codes.push(
          await new provider.AuthorizationCode({
            ...base,
            redirectUri: REDIRECT,
            codeChallenge: challenge,
            codeChallengeMethod: 'S256',
            authTime: now,
          }).save(),
        );
      perCpu.code.push(
        await once(
          codes.map((code) =>
            new URLSearchParams({
              grant_type: 'authorization_code',
              code,
              redirect_uri: REDIRECT,
              code_verifier: verifier,
            }).toString(),
          ),
        ),
      );
      const refresh: string[] = [];
      for (let i = 0; i < supply; i++)
        refresh.push(
          await new provider.RefreshToken({ ...base, iiat: now, rotations: 0, authTime: now }).save(),
        );
      perCpu.refresh.push(
        await once(
          refresh.map((x) =>
            new URLSearchParams({ grant_type: 'refresh_token', refresh_token: x }).toString(),
          ),
        ),
      );
      const at = await new provider.AccessToken(base).save();
      const r = await load(t.dir, {
        url,
        concurrency: 16,
        durationMs,
        rate: 0,
        warmupMs: 300,
        requests: [{ method: 'GET', path: '/oidc/me', headers: { authorization: `Bearer ${at}` } }],
      });
      const ok = r.statuses['200'] ?? 0;
      if (ok !== r.count || ok === 0)
        throw new Error(`oauth-baseline userinfo: ${JSON.stringify(r.statuses)}`);
      perCpu.userinfo.push(ok / (r.cpuUs / 1e6));
      opts.log(
        `  round ${round + 1}/${rounds}: per CPU-second code ${perCpu.code.at(-1)!.toFixed(0)}, refresh ${perCpu.refresh.at(-1)!.toFixed(0)}, userinfo ${perCpu.userinfo.at(-1)!.toFixed(0)}`,
      );
    }
    return {
      tokenAuthorizationCodePerCoreSecond: Math.round(median(perCpu.code)),
      tokenRefreshPerCoreSecond: Math.round(median(perCpu.refresh)),
      userinfoPerCoreSecond: Math.round(median(perCpu.userinfo)),
    };
  } finally {
    await new Promise((resolve) => server.close(resolve));
    t.cleanup();
  }
}

registerBenchmark({
  name: 'oauth-baseline',
  description: 'the oauth benchmark on oidc-provider alone (in-memory adapter, same settings): the ceiling',
  inAll: false,
  run,
});
