import type { AnyDb, PartMigrations } from '../../store/migrations.ts';

/** An account's authenticator app (TOTP): the shared secret sealed with the server's secret key. */
export interface TotpFactorsTable {
  account_id: string;
  /** SecretBox-sealed base32 secret (context `totp|<account>`); never stored or logged in clear. */
  secret_sealed: string;
  /** Null until the first code confirmed the enrolment. */
  confirmed_at: number | null;
  /** The last RFC 6238 time step accepted: a code of this step or an earlier one never counts again. */
  last_step: number;
  created_at: number;
}

/** A passkey (WebAuthn credential) of an account. */
export interface PasskeysTable {
  /** The credential id (base64url). */
  id: string;
  account_id: string;
  name: string;
  /** COSE public key, base64url. */
  public_key: string;
  counter: number;
  /** JSON array of transports the authenticator reported. */
  transports: string;
  backed_up: number;
  created_at: number;
  last_used_at: number | null;
}

/**
 * Short-lived, single-use sign-in steps: a second-factor challenge after a correct password, and the
 * WebAuthn challenges of passkey registration and sign-in. Only the token's SHA-256 is stored.
 */
export interface SigninChallengesTable {
  id: string;
  token_hash: string;
  kind: string;
  account_id: string | null;
  /** JSON: what the step carries (method wanted, WebAuthn challenge, mode, device token…). */
  data: string;
  ip: string;
  attempts: number;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** A QR cross-device login request, from the requester's key to the approver's decision. */
export interface QrLoginsTable {
  id: string;
  /** SHA-256 of the code in the QR URL (the code itself is never stored). */
  code_hash: string;
  /** The requester's public key (JWK, P-256) its collection must be signed with. */
  public_key: string;
  /** The random challenge the requester signs to collect its session (useless without its key). */
  challenge: string;
  ip: string;
  user_agent: string;
  origin: string | null;
  state: 'pending' | 'approved' | 'declined' | 'collected';
  created_at: number;
  expires_at: number;
  account_id: string | null;
  approver_session: string | null;
  approver_ip: string | null;
  /** JSON: the relay signals measured at approval (proximity, origin, burst). */
  signals: string | null;
  decided_at: number | null;
  collected_at: number | null;
  session_id: string | null;
}

/**
 * A second factor the account's holder removed, kept so that a recovery can put the owner's back when an
 * intruder removed it during a takeover. `row` is the removed row as JSON (a passkey's public key, or the
 * app's sealed secret: never a secret in clear).
 */
export interface RemovedSecondFactorsTable {
  id: string;
  account_id: string;
  kind: 'passkey' | 'totp';
  row: string;
  /** The session that removed it. */
  session_id: string | null;
  removed_at: number;
  /** When a recovery put it back (it is then live again). */
  restored_at: number | null;
}

export interface MfaTables {
  totp_factors: TotpFactorsTable;
  passkeys: PasskeysTable;
  removed_second_factors: RemovedSecondFactorsTable;
  signin_challenges: SigninChallengesTable;
  qr_logins: QrLoginsTable;
}

/** Second factors, passkeys, sign-in challenges, QR logins and probation sessions (issue 12). */
export const mfaMigrations: PartMigrations = {
  '1200_identity_signin': () => ({
    async up(db: AnyDb) {
      for (const [col, type] of [
        ['probation_until', 'bigint'],
        ['probation_reason', 'text'],
      ] as const)
        await db.schema.alterTable('sessions').addColumn(col, type).execute();
      await db.schema
        .createTable('totp_factors')
        .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id'))
        .addColumn('secret_sealed', 'text', (c) => c.notNull())
        .addColumn('confirmed_at', 'bigint')
        .addColumn('last_step', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('passkeys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('counter', 'bigint', (c) => c.notNull())
        .addColumn('transports', 'text', (c) => c.notNull())
        .addColumn('backed_up', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint')
        .execute();
      await db.schema.createIndex('passkeys_account').on('passkeys').column('account_id').execute();
      await db.schema
        .createTable('signin_challenges')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text')
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('ip', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .execute();
      await db.schema
        .createTable('qr_logins')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('code_hash', 'text', (c) => c.notNull().unique())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('challenge', 'text', (c) => c.notNull())
        .addColumn('ip', 'text', (c) => c.notNull())
        .addColumn('user_agent', 'text', (c) => c.notNull())
        .addColumn('origin', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('account_id', 'text')
        .addColumn('approver_session', 'text')
        .addColumn('approver_ip', 'text')
        .addColumn('signals', 'text')
        .addColumn('decided_at', 'bigint')
        .addColumn('collected_at', 'bigint')
        .addColumn('session_id', 'text')
        .execute();
      await db.schema.createIndex('qr_logins_ip').on('qr_logins').columns(['ip', 'created_at']).execute();
    },
    async down(db: AnyDb) {
      for (const t of ['qr_logins', 'signin_challenges', 'passkeys', 'totp_factors'])
        await db.schema.dropTable(t).execute();
      for (const col of ['probation_until', 'probation_reason'])
        await db.schema.alterTable('sessions').dropColumn(col).execute();
    },
  }),
  '1201_identity_session_binding': () => ({
    async up(db: AnyDb) {
      for (const [col, type] of [
        ['binding_key', 'text'],
        ['bound_until', 'bigint'],
        ['binding_challenge', 'text'],
      ] as const)
        await db.schema.alterTable('sessions').addColumn(col, type).execute();
    },
    async down(db: AnyDb) {
      for (const col of ['binding_key', 'bound_until', 'binding_challenge'])
        await db.schema.alterTable('sessions').dropColumn(col).execute();
    },
  }),
  '1202_identity_removed_second_factors': () => ({
    async up(db: AnyDb) {
      await db.schema
        .createTable('removed_second_factors')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('row', 'text', (c) => c.notNull())
        .addColumn('session_id', 'text')
        .addColumn('removed_at', 'bigint', (c) => c.notNull())
        .addColumn('restored_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('removed_second_factors_account')
        .on('removed_second_factors')
        .columns(['account_id', 'removed_at'])
        .execute();
    },
    async down(db: AnyDb) {
      await db.schema.dropTable('removed_second_factors').execute();
    },
  }),
};
