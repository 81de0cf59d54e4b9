import { readFileSync } from 'node:fs';
import type { NodemailerError, Transporter } from 'nodemailer';
import { GatehouseError } from '../../errors/index.ts';
import { errorText, type Channel, type OutgoingMessage, type SendOutcome } from './types.ts';

export interface SmtpSettings {
  host: string;
  port: number;
  /** tls: TLS from the first byte (port 465); starttls: STARTTLS required; none: plain (a local relay). */
  security: 'tls' | 'starttls' | 'none';
  user: string;
  password: string;
  /** "Name <address>" or an address. */
  from: string;
  replyTo: string;
  /** PEM file of the CA that signed the server's certificate (a private relay); empty: the system's. */
  caFile: string;
  dkim?: { domainName: string; keySelector: string; privateKey: string };
  timeoutMs: number;
}

/** Loads the DKIM key file (PEM); a missing or unreadable key stops start-up. */
export function loadDkim(
  domainName: string,
  keySelector: string,
  keyFile: string,
): SmtpSettings['dkim'] | undefined {
  if (!keyFile) return undefined;
  if (!domainName || !keySelector)
    throw new GatehouseError(
      'CONFIG_INVALID',
      'smtpDkimKeyFile needs smtpDkimDomain and smtpDkimSelector (the DNS record <selector>._domainkey.<domain>)',
    );
  let privateKey: string;
  try {
    privateKey = readFileSync(keyFile, 'utf8');
  } catch (e) {
    throw new GatehouseError(
      'CONFIG_INVALID',
      `smtpDkimKeyFile ${keyFile} cannot be read: ${(e as Error).message}`,
    );
  }
  if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(privateKey))
    throw new GatehouseError('CONFIG_INVALID', `smtpDkimKeyFile ${keyFile} is not a PEM private key`);
  return { domainName, keySelector, privateKey };
}

/**
 * Email over SMTP with nodemailer: TLS (implicit or STARTTLS, certificates verified, TLS 1.2+),
 * authentication, DKIM signing when a key is configured, From and Reply-To from settings. Each message
 * has a stable Message-ID (the same on every retry) so receivers can drop a duplicate. Nodemailer's own
 * logging is off: nothing it would print (credentials, addresses, bodies) reaches the log.
 */
export class EmailChannel implements Channel {
  readonly name = 'email' as const;
  readonly delivery: string;
  /** The transport, made at the first message (nodemailer is loaded then, not at start). */
  private transport: Promise<Transporter> | undefined;
  private readonly connect: () => Promise<Transporter>;
  private readonly domain: string;

  constructor(s: SmtpSettings) {
    this.delivery = `smtp ${s.host}:${s.port}`;
    const at = s.from.lastIndexOf('@');
    this.domain = at >= 0 ? s.from.slice(at + 1).replace(/[>\s].*$/, '') : 'gatehouse.invalid';
    const ca = s.caFile ? { ca: readFileSync(s.caFile, 'utf8') } : {};
    const options = [
      {
        host: s.host,
        port: s.port,
        secure: s.security === 'tls',
        requireTLS: s.security === 'starttls',
        ignoreTLS: s.security === 'none',
        ...(s.user ? { auth: { user: s.user, pass: s.password } } : {}),
        tls: { minVersion: 'TLSv1.2' as const, ...ca },
        connectionTimeout: s.timeoutMs,
        greetingTimeout: s.timeoutMs,
        socketTimeout: s.timeoutMs,
        ...(s.dkim ? { dkim: s.dkim } : {}),
        logger: false,
        debug: false,
        disableFileAccess: true,
        disableUrlAccess: true,
      },
      { from: s.from, ...(s.replyTo ? { replyTo: s.replyTo } : {}) },
    ] as const;
    this.connect = () =>
      (this.transport ??= import('nodemailer').then((m) => m.default.createTransport(...options)));
  }

  async send(m: OutgoingMessage): Promise<SendOutcome> {
    try {
      const transport = await this.connect();
      const info = (await transport.sendMail({
        to: m.to,
        subject: m.email.subject,
        text: m.email.text,
        html: m.email.html,
        messageId: `<${m.id.replace(/[^A-Za-z0-9._-]/g, '')}@${this.domain}>`,
        headers: {
          'Auto-Submitted': 'auto-generated',
          'X-Auto-Response-Suppress': 'All',
          'Content-Language': m.locale,
        },
      })) as { messageId?: string; rejected?: unknown[] };
      if (Array.isArray(info.rejected) && info.rejected.length)
        return {
          ok: false,
          permanent: true,
          scope: 'recipient',
          code: 'rejected',
          error: 'recipient rejected',
        };
      return { ok: true, ...(info.messageId ? { ref: info.messageId } : {}) };
    } catch (e) {
      return smtpFailure(e as NodemailerError);
    }
  }

  close(): void {
    void this.transport?.then((t) => t.close());
  }
}

/**
 * Classifies an SMTP failure. A 5xx reply to the recipient or the message is permanent for that address
 * (no retry; the address is marked failing); 4xx replies and lost connections are retried; credentials,
 * TLS and configuration problems are the transport's, retried until an operator fixes them.
 */
export function smtpFailure(err: NodemailerError): SendOutcome & { ok: false } {
  const reply = err.rejectedErrors?.[0] ?? err;
  const code = reply.responseCode ?? err.responseCode;
  const transportCodes = ['EAUTH', 'ENOAUTH', 'ETLS', 'ECONFIG', 'EREQUIRETLS', 'EOAUTH2'];
  if (transportCodes.includes(err.code ?? ''))
    return {
      ok: false,
      permanent: false,
      scope: 'transport',
      code: code ? String(code) : (err.code ?? 'ERROR'),
      error: errorText(`${err.code}: ${reply.response ?? err.message}`),
    };
  if (code !== undefined) {
    const permanent = reply.permanent ?? (code >= 500 && code !== 503);
    return {
      ok: false,
      permanent,
      scope: 'recipient',
      code: String(code),
      error: errorText(`${reply.command ?? 'SMTP'}: ${reply.response ?? err.message}`),
    };
  }
  return {
    ok: false,
    permanent: false,
    scope: 'transport',
    code: err.code ?? 'ERROR',
    error: errorText(err.message ?? String(err)),
  };
}
