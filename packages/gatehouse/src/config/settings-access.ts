import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { bool, int, type Setting } from './kit.ts';

/** Settings: third-party apps (OAuth), proxies, account control, sign-in factors and the audit anchor. */
export const ACCESS_SETTINGS = {
  oauthIssuer: {
    schema: z
      .string()
      .refine((v) => v === '' || /^https?:\/\/[^/?#]+$/.test(v), 'http(s)://host[:port] without a path'),
    default: '',
    form: 'empty, or http(s)://host[:port] without a path or trailing slash',
    doc: 'Public URL of the OpenID Connect provider (its issuer); empty uses the URL the server listens on',
  },
  oauthKeyOverlapHours: {
    schema: int(1, 8760),
    default: 24,
    form: 'hours (integer 1-8760)',
    doc: 'After `oauth keys rotate`, how long the previous signing keys stay published for verification',
  },
  oauthAccessTokenTtlSeconds: {
    schema: int(30, 86_400),
    default: 600,
    form: 'seconds (integer 30-86400)',
    doc: 'Lifetime of an access token issued to a third-party app',
  },
  oauthRefreshTokenTtlDays: {
    schema: int(1, 365),
    default: 30,
    form: 'days (integer 1-365)',
    doc: 'Lifetime of a refresh token (each use rotates it; a reused one revokes the whole grant)',
  },
  oauthUserCodesPerIp: {
    schema: int(1, 10_000),
    default: 10,
    form: 'integer 1-10000',
    doc: 'Device-flow user codes an IP address may submit per 10 minutes',
  },
  oauthFetchPrivateAddresses: {
    schema: bool,
    default: false,
    form: 'true or false',
    doc: 'Let the provider send back-channel logouts to loopback and private addresses (development, internal apps)',
  },
  oauthAccessLogFlushMs: {
    schema: int(0, 1000),
    default: 0,
    form: 'milliseconds (integer 0-1000)',
    doc: 'How long an app read may wait to share the data-access log commit with other reads (0: the next event-loop turn); every read is answered only once its log row is durable',
  },
  trustedProxies: {
    schema: z.string().refine((v) =>
      v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
        .every((x) => (x.includes('/') ? ipaddr.isValidCIDR(x) : ipaddr.isValid(x))),
    ),
    default: '127.0.0.0/8,::1/128',
    form: 'comma-separated IP addresses or CIDR networks',
    doc: "With trustProxy: the proxies whose X-Forwarded-For is believed (anyone else's is ignored; a platform back end can forward with an accounts:forward key instead)",
  },
  loginMaxUnknownFailuresPerAccount: {
    schema: int(1, 100000),
    default: 20,
    form: 'integer',
    doc: 'Failed sign-ins per account per window from networks and devices it never signed in from (its known ones keep their own counts)',
  },
  passwordMinScore: {
    schema: int(0, 4),
    default: 3,
    form: 'integer 0-4',
    doc: 'zxcvbn strength score a new password needs (sign-up, change, recovery; 0: no estimate), besides the length, breached-list and handle rules',
  },
  reauthMinutes: {
    schema: int(1, 1440),
    default: 10,
    form: 'minutes (integer)',
    doc: 'After confirming the password again, how long a session may change recovery codes, friends and channels',
  },
  sessionEndOthersMinAgeHours: {
    schema: int(0, 24 * 30),
    default: 24,
    form: 'hours (integer; 0: off)',
    doc: "For this long after it began, a session (whatever its sign-in method) may sign out only itself and sessions that began after it, never an older one (an intruder's new session cannot kick the owner out); a password change from it keeps the older sessions signed in",
  },
  recoveryFactorCoolingOffHours: {
    schema: int(0, 24 * 365),
    default: 168,
    form: 'hours (integer)',
    doc: 'A new or changed recovery factor (codes, friends, channels) counts for recovery only after this long; the previous ones keep working meanwhile',
  },
  recoveryUnstartedCaseMinutes: {
    schema: int(1, 1440),
    default: 15,
    form: 'minutes (integer)',
    doc: 'An appeal case whose verification is not started within this time expires',
  },
  recoveryFriendDelayHours: {
    schema: int(0, 24 * 30),
    default: 24,
    form: 'hours (integer)',
    doc: "An appeal verified by trusted friends alone goes on only after this delay (the owner's channels are alerted), unless another method also verified it",
  },
  recoveryDeniedAppealCooldownDays: {
    schema: int(0, 365),
    default: 7,
    form: 'days (integer 0-365)',
    doc: 'After an operator denies a sanction appeal, how long the appellant cannot queue another for the same freeze (RECOVERY_APPEAL_RECENTLY_DENIED with Retry-After; operators are not limited; a new freeze starts afresh)',
  },
  totpIssuer: {
    schema: z.string().min(1).max(64),
    default: 'Gatehouse',
    form: 'text (1-64 characters)',
    doc: 'The issuer name authenticator apps show next to the account (TOTP enrolment)',
  },
  signinChallengeMinutes: {
    schema: int(1, 30),
    default: 5,
    form: 'minutes (integer, 1-30)',
    doc: 'How long the second-factor step after a correct password (SIGNIN_SECOND_FACTOR_REQUIRED) stays open; single use, 5 wrong answers end it',
  },
  secondFactorMaxPerAccount: {
    schema: int(1, 1000),
    default: 10,
    form: 'integer 1-1000',
    doc: 'Second-factor answers (TOTP, recovery code, passkey) per account per 15 minutes before RATE_LIMITED',
  },
  secondFactorMaxPerIp: {
    schema: int(1, 100000),
    default: 100,
    form: 'integer 1-100000',
    doc: 'Second-factor answers per network (IPv4 /24, IPv6 /64) per 15 minutes, every account together',
  },
  qrLoginCodeSeconds: {
    schema: int(10, 60),
    default: 60,
    form: 'seconds (integer, 10-60)',
    doc: 'How long a QR login code can be approved; asking again with the same key rotates it (the old one dies)',
  },
  qrMintPerNetwork: {
    schema: int(1, 10000),
    default: 30,
    form: 'integer 1-10000',
    doc: 'QR login codes one network (IPv4 /24, IPv6 /64) may ask for per 10 minutes before RATE_LIMITED',
  },
  qrMintBurst: {
    schema: int(1, 10000),
    default: 10,
    form: 'integer 1-10000',
    doc: 'Codes from one network per 10 minutes above which a QR login carries the qr_mint_burst signal (its approval is treated as mismatched)',
  },
  qrHostingAsns: {
    schema: z.string().regex(/^\s*(\d{1,10}\s*(,\s*\d{1,10}\s*)*)?$/, 'comma-separated AS numbers'),
    default:
      '16509,14618,15169,396982,8075,14061,24940,16276,20473,63949,45102,37963,132203,45090,13335,9009,60068,212238',
    form: 'comma-separated AS numbers, or empty',
    doc: 'Hosting, cloud and VPN networks: a QR login requested from one (per geoipAsnDatabase) carries qr_hosting_asn and its approval gives a probation session',
  },
  geoipCityDatabase: {
    schema: z.string(),
    default: '',
    form: 'file path of a MaxMind-format City database (GeoIP2 / GeoLite2 City), or empty',
    doc: 'Where addresses are: the QR approval screen shows the requester’s city and distance, and two ends in one city on one ASN count as near. Gatehouse ships none',
  },
  geoipAsnDatabase: {
    schema: z.string(),
    default: '',
    form: 'file path of a MaxMind-format ASN database (GeoLite2 ASN), or empty',
    doc: 'Which network (AS) an address belongs to: QR proximity by ASN and city, and qrHostingAsns',
  },
  qrAllowedOrigins: {
    schema: z.string().refine(
      (v) =>
        v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
          .every((x) => /^https?:\/\/[^\s/?#]+$/.test(x)),
      'comma-separated origins',
    ),
    default: '',
    form: 'comma-separated origins (https://chat.example), or empty',
    doc: "Web pages a QR login may be started from (the request's Origin header); empty: publicUrl's origin and the server's own. Requests without an Origin (apps) are not web requesters",
  },
  loginQrUrls: {
    schema: z.string().refine(
      (v) =>
        v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
          .every((x) => /^https?:\/\/[^\s/?#]+\/\S*$/.test(x)),
      'comma-separated URL prefixes',
    ),
    default: '',
    form: 'comma-separated URL prefixes (https://chat.example/qr/), or empty',
    doc: "The platform's own QR-login URLs: a message whose image holds a QR code starting with one, or whose text or links name one, carries the login_qr_shared signal; empty: <publicUrl>/qr/ and the server's own",
  },
  qrProbationHours: {
    schema: int(1, 168),
    default: 24,
    form: 'hours (integer, 1-168)',
    doc: 'A session from a QR approval whose two ends are not near each other is on probation this long: no password, recovery, second-factor or app changes, messages only to friends',
  },
  passkeyRpId: {
    schema: z.string().max(253),
    default: '',
    form: 'domain name, or empty',
    doc: "WebAuthn relying party id (the registrable domain passkeys are bound to); empty: publicUrl's host, else localhost",
  },
  passkeyRpName: {
    schema: z.string().min(1).max(64),
    default: 'Gatehouse',
    form: 'text (1-64 characters)',
    doc: 'The name authenticators show when a passkey is created',
  },
  passkeyOrigins: {
    schema: z.string().refine(
      (v) =>
        v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
          .every((x) => /^https?:\/\/[^\s/?#]+$/.test(x)),
      'comma-separated origins',
    ),
    default: '',
    form: 'comma-separated origins, or empty',
    doc: "Origins whose pages may use passkeys (WebAuthn clientData origin); empty: publicUrl's origin and the server's own",
  },
  sessionBindingRefreshMinutes: {
    schema: int(1, 1440),
    default: 10,
    form: 'minutes (integer, 1-1440)',
    doc: 'A device-bound session (signed in with a bindingKey) must prove its key this often (POST /v1/auth/session/refresh); a copied cookie alone dies at its next refresh',
  },
  signinStuffingNetworkFailures: {
    schema: int(1, 100000),
    default: 10,
    form: 'integer >= 1',
    doc: 'Failed sign-ins from one network (all handles, per loginWindowSeconds) that make it a credential-stuffing source: a right password from there on an unknown device and network needs a second factor, or is refused (SIGNIN_RISK_DENIED) without one',
  },
  signinStuffingHandleFailures: {
    schema: int(1, 100000),
    default: 5,
    form: 'integer >= 1',
    doc: 'Failed sign-ins on one handle from unknown networks (per loginWindowSeconds) after which a right password from another unknown device and network is treated as stuffing (second factor, or SIGNIN_RISK_DENIED)',
  },
  signinImpossibleTravelKmh: {
    schema: int(0, 100000),
    default: 1000,
    form: 'km/h (integer; 0: off)',
    doc: 'With geoipCityDatabase: a right password from an unknown device and network more than 500 km from the last sign-in, faster than this, needs a second factor or is refused (impossible_travel)',
  },
  webhookAllowHttp: {
    schema: bool,
    default: false,
    form: 'true or false',
    doc: 'DEVELOPMENT: allow http:// webhook URLs (https is required otherwise)',
  },
  webhookAllowLoopback: {
    schema: bool,
    default: false,
    form: 'true or false',
    doc: 'DEVELOPMENT: allow webhook receivers on loopback addresses (127.0.0.0/8, ::1); private, link-local and metadata addresses stay refused',
  },
  auditAnchorKey: {
    schema: z.string().refine((v) => v === '' || /^[A-Za-z0-9+/=\s-]+$/.test(v), 'base64'),
    default: '',
    form: 'base64 of an Ed25519 private key (PKCS#8 DER), or empty',
    doc: 'Key that signs the exported audit chain head; empty: generated once into <dataDir>/audit-anchor.key',
    secret: true,
  },
  auditAnchorFile: {
    schema: z.string(),
    default: '',
    form: 'file path, or empty',
    doc: "File the signed audit chain head is appended to on a schedule (keep it where the database's writers cannot change it); empty: no export",
  },
  auditAnchorIntervalSeconds: {
    schema: int(10, 86400 * 7),
    default: 3600,
    form: 'seconds (integer)',
    doc: 'How often the signed audit head is appended to auditAnchorFile (also at start and at shutdown)',
  },
} as const satisfies Record<string, Setting>;
