import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { median, registerBenchmark, type BenchOptions, type Figures } from './index.ts';
import { loadConfig } from '../config/index.ts';
import { createGatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { tempDir } from '../testing/index.ts';

/**
 * Passkey sign-ins per second on one core: the whole server path (options with their sealed single-use
 * ceremony, then the assertion verified by @simplewebauthn/server, the counter updated and the session,
 * sign-in record, events and notices written) on SQLite, in one process, against a software authenticator
 * that signs like a platform one (ES256, user present and verified).
 */

const b64u = (b: Buffer | Uint8Array) => Buffer.from(b).toString('base64url');

/** COSE_Key of a P-256 public key (kty EC2, alg ES256, crv P-256, x, y), CBOR-encoded. */
function coseKey(pub: KeyObject): Buffer {
  const jwk = pub.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x!, 'base64url');
  const y = Buffer.from(jwk.y!, 'base64url');
  return Buffer.concat([
    Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]),
    x,
    Buffer.from([0x22, 0x58, 0x20]),
    y,
  ]);
}

/**
 * Sign-ins in flight at once (clients of one server process; `PASSKEY_BENCH_CONCURRENCY`,
 * default 8): SQLite's group commit lets their commits share an fsync, as a server's users' do.
 */
const CONCURRENCY = Math.max(1, Number(process.env.PASSKEY_BENCH_CONCURRENCY ?? 8));

class SoftwareAuthenticator {
  readonly id: string;
  private readonly keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  private counter = 0;
  readonly publicKey = b64u(coseKey(this.keys.publicKey));
  private readonly rpId: string;
  private readonly origin: string;
  private readonly userHandle: string;
  constructor(rpId: string, origin: string, userHandle: string, k: number) {
    this.id = b64u(Buffer.from(`bench-credential-${k}-${Date.now()}`));
    this.rpId = rpId;
    this.origin = origin;
    this.userHandle = userHandle;
  }
  assert(challenge: string) {
    this.counter++;
    const flags = 0x05; // user present, user verified
    const authData = Buffer.concat([
      createHash('sha256').update(this.rpId).digest(),
      Buffer.from([flags]),
      Buffer.from([
        (this.counter >>> 24) & 255,
        (this.counter >>> 16) & 255,
        (this.counter >>> 8) & 255,
        this.counter & 255,
      ]),
    ]);
    const clientData = Buffer.from(
      JSON.stringify({ type: 'webauthn.get', challenge, origin: this.origin, crossOrigin: false }),
    );
    const signature = sign(
      'sha256',
      Buffer.concat([authData, createHash('sha256').update(clientData).digest()]),
      this.keys.privateKey,
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64u(clientData),
        authenticatorData: b64u(authData),
        signature: b64u(signature),
        userHandle: b64u(Buffer.from(this.userHandle)),
      },
    };
  }
}

async function run(opts: BenchOptions): Promise<Figures> {
  const t = tempDir('gatehouse-bench-passkey-');
  const origin = 'https://chat.example';
  const config = loadConfig({
    overrides: {
      dataDir: t.dir,
      port: 0,
      logLevel: 'silent',
      publicUrl: origin,
      passkeyRpId: 'chat.example',
    },
  });
  const gh = await createGatehouse(config, { log: createLogger('silent') });
  try {
    await gh.start();
    // one account and authenticator per concurrent client (one authenticator's counter is sequential)
    const auths: SoftwareAuthenticator[] = [];
    for (let k = 0; k < CONCURRENCY; k++) {
      const a = await gh.identity.createAccount(
        { handle: `bench.passkey${k}`, password: 'bench password passkey' },
        { ip: '127.0.0.1', userAgent: 'bench' },
      );
      const auth = new SoftwareAuthenticator('chat.example', origin, a.id, k);
      auths.push(auth);
      await gh.store.db
        .insertInto('passkeys')
        .values({
          id: auth.id,
          account_id: a.id,
          name: 'bench',
          public_key: auth.publicKey,
          counter: 0,
          transports: '["internal"]',
          backed_up: 0,
          created_at: Date.now(),
          last_used_at: null,
        })
        .execute();
    }
    const rounds = Math.max(2, Math.round(5 * opts.scale));
    const durationMs = Math.max(1000, Math.round(3000 * opts.scale));
    const rates: number[] = [];
    const perCpu: number[] = [];
    let i = 0;
    const signIns = async (ms: number): Promise<number> => {
      let n = 0;
      const start = performance.now();
      await Promise.all(
        auths.map(async (auth) => {
          while (performance.now() - start < ms) {
            // each sign-in from its own /24: the per-network limits are not what is measured
            const ctx = { ip: `10.${(i >> 8) & 255}.${i & 255}.1`, userAgent: 'bench' };
            i++;
            const o = await gh.identity.passkeys.signInOptions(ctx);
            await gh.identity.passkeys.signIn(o.ceremony, auth.assert(String(o.options.challenge)), ctx);
            n++;
          }
        }),
      );
      return n;
    };
    // one unmeasured round first: the path compiled and the database's pages read
    await signIns(Math.round(durationMs / 2));
    for (let r = 0; r < rounds; r++) {
      const start = performance.now();
      const cpu0 = process.cpuUsage();
      const n = await signIns(durationMs);
      rates.push(n / ((performance.now() - start) / 1000));
      // the process's own CPU time (every thread): what one core would do, whatever else the machine runs
      const cpu = process.cpuUsage(cpu0);
      perCpu.push(n / ((cpu.user + cpu.system) / 1e6));
      opts.log(
        `  round ${r + 1}/${rounds}: ${rates.at(-1)!.toFixed(0)} passkey sign-ins/s, ${perCpu.at(-1)!.toFixed(0)} per CPU-second`,
      );
    }
    return {
      passkeySigninsPerSecond: Math.round(median(rates)),
      passkeySigninsPerCpuSecond: Math.round(median(perCpu)),
      concurrency: CONCURRENCY,
    };
  } finally {
    await gh.close();
    t.cleanup();
  }
}

registerBenchmark({
  name: 'passkey',
  description:
    'passkey sign-ins/s on one core (options + assertion + session, SQLite, in process, 8 clients at once)',
  run,
});
