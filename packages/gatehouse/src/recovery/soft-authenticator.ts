/**
 * Test-only: a software passkey (ES256, user present and verified) that registers with `none`
 * attestation and signs assertions like a platform authenticator, for HTTP tests without a browser.
 * Never imported by production code.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

const b64u = (b: Buffer | Uint8Array) => Buffer.from(b).toString('base64url');
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest();
const u32 = (n: number) => Buffer.from([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);

/** COSE_Key of a P-256 public key (kty EC2, alg ES256, crv P-256, x, y), CBOR-encoded. */
function coseKey(pub: KeyObject): Buffer {
  const jwk = pub.export({ format: 'jwk' });
  return Buffer.concat([
    Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]),
    Buffer.from(jwk.x!, 'base64url'),
    Buffer.from([0x22, 0x58, 0x20]),
    Buffer.from(jwk.y!, 'base64url'),
  ]);
}

/** CBOR byte string header + bytes (lengths below 65,536). */
function cborBytes(b: Buffer): Buffer {
  const head =
    b.length < 24
      ? Buffer.from([0x40 + b.length])
      : b.length < 256
        ? Buffer.from([0x58, b.length])
        : Buffer.from([0x59, b.length >> 8, b.length & 255]);
  return Buffer.concat([head, b]);
}
const cborText = (s: string) => Buffer.concat([Buffer.from([0x60 + s.length]), Buffer.from(s)]);

export class SoftAuthenticator {
  readonly credentialId = randomBytes(16);
  readonly id = b64u(this.credentialId);
  private readonly keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  private counter = 0;
  private readonly rpId: string;
  private readonly origin: string;
  constructor(rpId: string, origin: string) {
    this.rpId = rpId;
    this.origin = origin;
  }

  private clientData(type: string, challenge: string) {
    return Buffer.from(JSON.stringify({ type, challenge, origin: this.origin, crossOrigin: false }));
  }

  /** The private key (PKCS#8, base64), for handing the same credential to a browser's virtual authenticator. */
  privateKeyPkcs8(): string {
    return this.keys.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
  }

  /** The answer to creation options (RegistrationResponseJSON). */
  register(challenge: string) {
    const cred = Buffer.concat([
      Buffer.alloc(16), // AAGUID
      Buffer.from([this.credentialId.length >> 8, this.credentialId.length & 255]),
      this.credentialId,
      coseKey(this.keys.publicKey),
    ]);
    const authData = Buffer.concat([sha256(this.rpId), Buffer.from([0x45]), u32(this.counter), cred]);
    const attestationObject = Buffer.concat([
      Buffer.from([0xa3]),
      cborText('fmt'),
      cborText('none'),
      cborText('attStmt'),
      Buffer.from([0xa0]),
      cborText('authData'),
      cborBytes(authData),
    ]);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64u(this.clientData('webauthn.create', challenge)),
        attestationObject: b64u(attestationObject),
        transports: ['internal'],
      },
    };
  }

  /** The answer to request options (AuthenticationResponseJSON). */
  assert(challenge: string) {
    this.counter++;
    const authData = Buffer.concat([sha256(this.rpId), Buffer.from([0x05]), u32(this.counter)]);
    const clientData = this.clientData('webauthn.get', challenge);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), this.keys.privateKey);
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64u(clientData),
        authenticatorData: b64u(authData),
        signature: b64u(signature),
      },
    };
  }
}
