// Test-only: a real SMTP server on 127.0.0.1 (smtp-server from the nodemailer project) that requires
// STARTTLS and authentication, parses what arrives with mailparser, and can refuse recipients with the
// SMTP reply a test chooses. Never imported by production code.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { tempDir } from '../testing/index.ts';

export interface ReceivedMail {
  to: string[];
  from: string;
  mail: ParsedMail;
  raw: string;
}

let certs: { key: string; cert: string; caFile: string } | undefined;

/** A self-signed certificate for 127.0.0.1 made with openssl (once per test process). */
export function testCertificate(): { key: string; cert: string; caFile: string } {
  if (certs) return certs;
  const { dir } = tempDir('gatehouse-smtp-cert-');
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  certs = { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8'), caFile: cert };
  return certs;
}

export interface TestSmtp {
  port: number;
  caFile: string;
  user: string;
  pass: string;
  received: ReceivedMail[];
  /** RCPT TO attempts per address (refused ones included). */
  attempts: Map<string, number>;
  /** Decides the reply to RCPT TO: undefined accepts; {code, message} refuses. */
  refuse: (address: string, attempt: number) => { code: number; message: string } | undefined;
  /** Settings that point Gatehouse at this server. */
  settings(): Record<string, unknown>;
  close(): Promise<void>;
}

export async function testSmtp(): Promise<TestSmtp> {
  const { key, cert, caFile } = testCertificate();
  const state: TestSmtp = {
    port: 0,
    caFile,
    user: 'gatehouse',
    pass: 'smtp-secret-9f3a1c',
    received: [],
    attempts: new Map(),
    refuse: () => undefined,
    settings: () => ({
      smtpHost: '127.0.0.1',
      smtpPort: state.port,
      smtpSecurity: 'starttls',
      smtpUser: state.user,
      smtpPassword: state.pass,
      smtpFrom: 'Gatehouse Security <security@gatehouse.test>',
      smtpReplyTo: 'help@gatehouse.test',
      smtpCaFile: caFile,
      smtpTimeoutMs: 30_000,
    }),
    close: async () => undefined,
  };
  const server = new SMTPServer({
    key,
    cert,
    logger: false,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, cb) {
      if (auth.username === state.user && auth.password === state.pass)
        return cb(null, { user: auth.username });
      return cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, cb) {
      const n = (state.attempts.get(address.address) ?? 0) + 1;
      state.attempts.set(address.address, n);
      const r = state.refuse(address.address, n);
      if (r) return cb(Object.assign(new Error(r.message), { responseCode: r.code }));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw)
          .then((mail) => {
            state.received.push({
              to: session.envelope.rcptTo.map((r) => r.address),
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              mail,
              raw,
            });
            cb();
          })
          .catch((e: Error) => cb(e));
      });
    },
  });
  // plain text is refused: without STARTTLS the server does not offer AUTH
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.port = (server.server.address() as AddressInfo).port;
  state.close = () => new Promise<void>((r) => server.close(() => r()));
  return state;
}

/** Writes a PEM private key for DKIM to a temporary file. */
export function writeKeyFile(pem: string): { file: string; cleanup: () => void } {
  const t = tempDir('gatehouse-dkim-');
  const file = join(t.dir, 'dkim.pem');
  writeFileSync(file, pem, { mode: 0o600 });
  return { file, cleanup: t.cleanup };
}
