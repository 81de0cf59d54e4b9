/** The settings of second factors, passkeys and QR login (from src/config through the composition root). */
export interface SigninOptions {
  /** The issuer name authenticator apps show next to the account. */
  totpIssuer: string;
  /** How long the second-factor step after a correct password stays open. */
  challengeMs: number;
  /** Wrong second-factor answers per account per 15 minutes before RATE_LIMITED. */
  secondFactorMaxPerAccount: number;
  /** Second-factor answers per network (IPv4 /24, IPv6 /64) per 15 minutes. */
  secondFactorMaxPerNetwork: number;
  /** How long a QR login code lives (at most 60 s). */
  qrCodeMs: number;
  /** QR login codes one network may mint per 10 minutes (then RATE_LIMITED). */
  qrMintPerNetwork: number;
  /** Codes per network per 10 minutes above which a login carries the `qr_mint_burst` signal. */
  qrMintBurst: number;
  /** ASNs of hosting and VPN providers: a requester there carries `qr_hosting_asn` (needs GeoIP ASN data). */
  qrHostingAsns: number[];
  /** Origins a web requester may start a QR login from (a request without Origin is an app). */
  qrOrigins: () => string[];
  /** Base URL of the platform's QR approval page (the QR encodes `<base>/<code>`). */
  qrUrlBase: () => string;
  /** How long a session from a mismatched QR approval stays on probation. */
  probationMs: number;
  /** WebAuthn relying party: id (a registrable domain), name, and the origins its pages run on. */
  rpId: () => string;
  rpName: string;
  rpOrigins: () => string[];
  /** How long a device-bound session's proof of its key holds before it must refresh. */
  bindingRefreshMs: number;
  /** Failed sign-ins from one network (all handles, one window) that mark it a stuffing source. */
  stuffingNetworkFailures: number;
  /** Failed sign-ins on one handle from unknown networks (one window) that make a success suspect. */
  stuffingHandleFailures: number;
  /** Speed (km/h) between the last sign-in and this one above which travel is impossible (0: off). */
  impossibleTravelKmh: number;
}

export const DEFAULT_SIGNIN: SigninOptions = {
  totpIssuer: 'Gatehouse',
  challengeMs: 5 * 60_000,
  secondFactorMaxPerAccount: 10,
  secondFactorMaxPerNetwork: 100,
  qrCodeMs: 60_000,
  qrMintPerNetwork: 30,
  qrMintBurst: 10,
  qrHostingAsns: [],
  qrOrigins: () => [],
  qrUrlBase: () => 'http://localhost:8080/qr',
  probationMs: 24 * 3_600_000,
  rpId: () => 'localhost',
  rpName: 'Gatehouse',
  rpOrigins: () => ['http://localhost:8080'],
  bindingRefreshMs: 10 * 60_000,
  stuffingNetworkFailures: 10,
  stuffingHandleFailures: 5,
  impossibleTravelKmh: 1000,
};

/** The sign-in settings from the configuration; `ownUrl` is the server's own address once it listens. */
export function signinOptionsFrom(
  c: {
    totpIssuer: string;
    signinChallengeMinutes: number;
    secondFactorMaxPerAccount: number;
    secondFactorMaxPerIp: number;
    qrLoginCodeSeconds: number;
    qrMintPerNetwork: number;
    qrMintBurst: number;
    qrHostingAsns: string;
    qrAllowedOrigins: string;
    qrProbationHours: number;
    passkeyRpId: string;
    passkeyRpName: string;
    passkeyOrigins: string;
    sessionBindingRefreshMinutes: number;
    signinStuffingNetworkFailures: number;
    signinStuffingHandleFailures: number;
    signinImpossibleTravelKmh: number;
    publicUrl: string;
  },
  ownUrl: () => string,
): SigninOptions {
  const list = (v: string) =>
    v
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const own = () => [...new Set([c.publicUrl, ownUrl()].filter(Boolean).map((u) => new URL(u).origin))];
  return {
    totpIssuer: c.totpIssuer,
    challengeMs: c.signinChallengeMinutes * 60_000,
    secondFactorMaxPerAccount: c.secondFactorMaxPerAccount,
    secondFactorMaxPerNetwork: c.secondFactorMaxPerIp,
    qrCodeMs: c.qrLoginCodeSeconds * 1000,
    qrMintPerNetwork: c.qrMintPerNetwork,
    qrMintBurst: c.qrMintBurst,
    qrHostingAsns: list(c.qrHostingAsns).map(Number),
    qrOrigins: () => (c.qrAllowedOrigins ? list(c.qrAllowedOrigins) : own()),
    qrUrlBase: () => `${(c.publicUrl || ownUrl()).replace(/\/$/, '')}/qr`,
    probationMs: c.qrProbationHours * 3_600_000,
    rpId: () => c.passkeyRpId || (c.publicUrl ? new URL(c.publicUrl).hostname : 'localhost'),
    rpName: c.passkeyRpName,
    rpOrigins: () => (c.passkeyOrigins ? list(c.passkeyOrigins) : own()),
    bindingRefreshMs: c.sessionBindingRefreshMinutes * 60_000,
    stuffingNetworkFailures: c.signinStuffingNetworkFailures,
    stuffingHandleFailures: c.signinStuffingHandleFailures,
    impossibleTravelKmh: c.signinImpossibleTravelKmh,
  };
}
