// Issue 12 items 2 and 6 with the operator's GeoIP data, over HTTP on SQLite and PostgreSQL. The test
// writes its own small MaxMind City and ASN databases. The QR approval screen shows where the requester
// is and how far; ends on one ASN in one city are near (a plain session), a relay in the victim's own city
// on another provider, elsewhere, or in a data centre is not (probation); a password from too far too
// soon is impossible travel.
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  harness,
  ok,
  OWNER,
  PASSWORD,
  refused,
  signUp,
  type Harness,
} from '../../recovery/attack-harness.ts';
import { writeMmdb } from '../../testing/mmdb.ts';
import { postgresSkip, tempDir, testGatehouse, type Backend } from '../../testing/index.ts';

const SHANGHAI = { geoname_id: 1796236, names: { en: 'Shanghai', 'zh-CN': '上海' } };
const city = (c: typeof SHANGHAI, iso: string, latitude: number, longitude: number) => ({
  city: c,
  country: { iso_code: iso, names: { en: iso } },
  location: { latitude, longitude },
});
const asn = (n: number, org: string) => ({
  autonomous_system_number: n,
  autonomous_system_organization: org,
});

const PHONE = OWNER; // 198.51.100.7: Shanghai, China Telecom
const SAME_ISP = { ip: '198.18.0.44', ua: OWNER.ua }; // Shanghai, China Telecom, another /24
const OTHER_ISP = { ip: '198.19.0.44', ua: OWNER.ua }; // Shanghai, China Unicom
const HONG_KONG = { ip: '203.0.113.66', ua: OWNER.ua };
const CLOUD = { ip: '100.81.0.9', ua: OWNER.ua }; // Shanghai, but a cloud provider
const FRANKFURT = { ip: '192.0.2.10', ua: OWNER.ua };

let files: { dir: string; cleanup: () => void };
let cityDb: string;
let asnDb: string;
before(() => {
  files = tempDir('gatehouse-geo-');
  cityDb = join(files.dir, 'city.mmdb');
  asnDb = join(files.dir, 'asn.mmdb');
  writeFileSync(
    cityDb,
    writeMmdb('GeoLite2-City', [
      ['198.51.100.0/24', city(SHANGHAI, 'CN', 31.23, 121.47)],
      ['198.18.0.0/24', city(SHANGHAI, 'CN', 31.22, 121.46)],
      ['198.19.0.0/24', city(SHANGHAI, 'CN', 31.24, 121.5)],
      ['100.81.0.0/24', city(SHANGHAI, 'CN', 31.2, 121.4)],
      [
        '203.0.113.0/24',
        city({ geoname_id: 1819729, names: { en: 'Hong Kong', 'zh-CN': '香港' } }, 'HK', 22.28, 114.16),
      ],
      [
        '192.0.2.0/24',
        city({ geoname_id: 2925533, names: { en: 'Frankfurt', 'zh-CN': '法兰克福' } }, 'DE', 50.11, 8.68),
      ],
    ]),
  );
  writeFileSync(
    asnDb,
    writeMmdb('GeoLite2-ASN', [
      ['198.51.100.0/24', asn(4812, 'China Telecom')],
      ['198.18.0.0/24', asn(4812, 'China Telecom')],
      ['198.19.0.0/24', asn(4837, 'China Unicom')],
      ['100.81.0.0/24', asn(16509, 'Amazon')],
      ['203.0.113.0/24', asn(4760, 'HKT')],
      ['192.0.2.0/24', asn(3320, 'Deutsche Telekom')],
    ]),
  );
});
after(() => files?.cleanup());

async function requester() {
  const subtle = webcrypto.subtle;
  const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const jwk = await subtle.exportKey('jwk', pair.publicKey);
  return {
    publicKey: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
    sign: async (id: string, challenge: string) =>
      Buffer.from(
        await subtle.sign(
          { name: 'ECDSA', hash: 'SHA-256' },
          pair.privateKey,
          Buffer.from(`gatehouse-qr-login|${id}|${challenge}`),
        ),
      ).toString('base64url'),
  };
}

function suite(backend: Backend) {
  describe(`GeoIP defences on ${backend}`, () => {
    let h: Harness;
    let skip: string | undefined;
    before(async () => {
      if (backend === 'postgres') skip = await postgresSkip();
      if (skip) return;
      h = await harness(backend, { geoipCityDatabase: cityDb, geoipAsnDatabase: asnDb });
    });
    after(async () => h?.cleanup());

    /** A QR login from `from`, looked at and approved on the phone; returns the screen and the session. */
    async function qrLogin(phone: string, from: { ip: string; ua: string }) {
      const r = await requester();
      const m = ok(await h.call('POST', '/v1/auth/qr', { body: { publicKey: r.publicKey }, from }), 201)
        .json as {
        id: string;
        code: string;
        challenge: string;
      };
      const screen = ok(await h.call('GET', `/v1/me/qr/${m.code}`, { token: phone, from: PHONE })).json as {
        requester: { location: { en: string; zh: string } };
        distance: { sameNetwork: boolean; km: number | null; en: string };
        outcome: string;
        warnings: Array<{ signal: string; value: number }>;
      };
      ok(
        await h.call('POST', `/v1/me/qr/${m.code}/decision`, {
          token: phone,
          body: { decision: 'approve', inFrontOfMe: true },
          from: PHONE,
        }),
      );
      const s = ok(
        await h.call('POST', `/v1/auth/qr/${m.id}/session`, {
          body: { signature: await r.sign(m.id, m.challenge) },
          from,
        }),
      ).json.session as { probationUntil: number | null };
      return { screen, probation: s.probationUntil !== null };
    }

    test('the approval screen says where the requester is; near means one ASN in one city', async (tt) => {
      if (skip) return tt.skip(skip);
      const a = await signUp(h, `geo.qr.${backend}`);
      const phone = ok(
        await h.call('POST', '/v1/auth/signin', { body: { handle: a.handle, password: PASSWORD } }),
      ).json.token as string;

      const far = await qrLogin(phone, HONG_KONG);
      assert.deepEqual(far.screen.requester.location, { en: 'Hong Kong, HK', zh: '香港, HK' });
      assert.ok(
        far.screen.distance.km! > 1100 && far.screen.distance.km! < 1400,
        String(far.screen.distance.km),
      );
      assert.match(far.screen.distance.en, /different network/);
      const mismatch = far.screen.warnings.find((w) => w.signal === 'qr_network_mismatch')!;
      assert.equal(mismatch.value, far.screen.distance.km);
      assert.equal(far.screen.outcome, 'probation');
      assert.ok(far.probation);

      // the owner's laptop at home on the same provider, another /24: near
      const home = await qrLogin(phone, SAME_ISP);
      assert.equal(home.screen.distance.sameNetwork, false);
      assert.match(home.screen.distance.en, /same provider in the same city/);
      assert.equal(home.screen.outcome, 'session');
      assert.equal(home.probation, false);

      // a relay in the victim's own city, on another provider: not near
      const sameCity = await qrLogin(phone, OTHER_ISP);
      assert.equal(sameCity.screen.requester.location.zh, '上海, CN');
      assert.equal(sameCity.screen.outcome, 'probation');
      assert.ok(sameCity.probation);

      // a data centre in the same city
      const cloud = await qrLogin(phone, CLOUD);
      assert.ok(cloud.screen.warnings.some((w) => w.signal === 'qr_hosting_asn' && w.value === 16509));
      assert.ok(cloud.probation);
    });

    test('impossible travel: Shanghai then Frankfurt minutes later needs more than the password', async (tt) => {
      if (skip) return tt.skip(skip);
      const a = await signUp(h, `geo.travel.${backend}`);
      const device = ok(
        await h.call('POST', '/v1/auth/signin', { body: { handle: a.handle, password: PASSWORD } }),
      ).json.deviceToken as string;
      const d = refused(
        await h.call('POST', '/v1/auth/signin', {
          body: { handle: a.handle, password: PASSWORD },
          from: FRANKFURT,
        }),
        403,
        'SIGNIN_RISK_DENIED',
      );
      const sig = (d.json.signals as Array<{ name: string; value: number; zh: string }>)[0]!;
      assert.equal(sig.name, 'impossible_travel');
      assert.ok(sig.value > 1000 && sig.zh.includes('公里'));
      // the owner's own device travels with its token
      ok(
        await h.call('POST', '/v1/auth/signin', {
          body: { handle: a.handle, password: PASSWORD, deviceToken: device },
          from: FRANKFURT,
        }),
      );
      // two days later a new device in Frankfurt is plausible
      const b = await signUp(h, `geo.travel2.${backend}`);
      ok(await h.call('POST', '/v1/auth/signin', { body: { handle: b.handle, password: PASSWORD } }));
      await h.gh.store.db
        .updateTable('signins')
        .set((eb) => ({ at: eb('at', '-', 2 * 86_400_000) }))
        .where('account_id', '=', b.id)
        .execute();
      ok(
        await h.call('POST', '/v1/auth/signin', {
          body: { handle: b.handle, password: PASSWORD },
          from: FRANKFURT,
        }),
      );
    });
  });
}

suite('sqlite');
suite('postgres');

test('an unreadable GeoIP database stops start-up with a clear error', async () => {
  const bad = tempDir('gatehouse-geo-bad-');
  try {
    writeFileSync(join(bad.dir, 'city.mmdb'), 'not a database');
    await assert.rejects(
      testGatehouse('sqlite', { geoipCityDatabase: join(bad.dir, 'city.mmdb') }),
      (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && /geoipCityDatabase/.test(e.message),
    );
  } finally {
    bad.cleanup();
  }
});
