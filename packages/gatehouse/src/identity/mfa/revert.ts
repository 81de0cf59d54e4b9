import { randomUUID } from 'node:crypto';
import { appendAuditInTx } from '../../audit/index.ts';
import type { Tx } from '../../store/db.ts';
import type { PasskeysTable, TotpFactorsTable } from './schema.ts';
import { mfaStore as m } from './store.ts';

/** What a recovery changed in the account's sign-in factors (ids cut to 32 characters, as in the audit). */
export interface SecondFactorsReverted {
  /** Passkeys registered inside the window (the intruder's): removed. */
  passkeysRemoved: string[];
  /** Passkeys removed inside the window (the owner's): back. */
  passkeysRestored: string[];
  /** An authenticator app set up inside the window: removed. */
  totpRemoved: boolean;
  /** The authenticator app removed inside the window: back. */
  totpRestored: boolean;
  /**
   * Passkeys removed inside the window from a session that began before it and that the owner did not
   * name as the intruder's: not put back (the owner may have removed a lost phone's passkey themselves;
   * putting it back would hand the account to whoever holds the phone). The report asks the owner to add
   * them again if they were theirs.
   */
  passkeysLeftRemoved: string[];
  /** The authenticator app removed that way: not put back either. */
  totpLeftRemoved: boolean;
}

/** Keeps the row of a passkey or app being removed by the account's holder (same transaction). */
export async function keepRemovedFactor(
  tx: Tx,
  accountId: string,
  factor: { kind: 'passkey'; row: PasskeysTable } | { kind: 'totp'; row: TotpFactorsTable },
  sessionId: string | null,
  at: number,
): Promise<void> {
  await m.keepRemoved(tx, {
    id: randomUUID(),
    account_id: accountId,
    kind: factor.kind,
    row: JSON.stringify(factor.row),
    session_id: sessionId,
    removed_at: at,
    restored_at: null,
  });
}

/**
 * Undoes what the holder of a taken-over account did to its sign-in factors inside the compromise window
 * [from, to], in the recovery's transaction. Passkeys registered and an authenticator app set up there go,
 * whichever session added them (a passkey signs in on its own: left in place it would hand the account
 * straight back; an intruder riding a stolen older session adds them too, and the owner can add theirs
 * again). A removal is undone only when the intruder made it: from a session that began inside the window,
 * or one the owner named as not theirs at the session review (`intruderSessions`); removals from an older
 * session are left (the owner may have removed a lost phone's passkey) and reported. A factor whose
 * credential or app is live again by then stays as it is. Audited as `second_factors.reverted`.
 */
export async function revertSecondFactors(
  tx: Tx,
  accountId: string,
  window: { from: number; to: number; caseId: string; intruderSessions?: readonly string[] },
  now: number,
): Promise<SecondFactorsReverted> {
  const { from, to } = window;
  const passkeysRemoved = await m.deletePasskeysCreatedBetween(tx, accountId, from, to);
  const totpRemoved = await m.deleteTotpSetUpBetween(tx, accountId, from, to);
  const passkeysRestored: string[] = [];
  const passkeysLeftRemoved: string[] = [];
  let totpRestored = false;
  let totpLeftRemoved = false;
  const removals = await m.removedBetween(tx, accountId, from, to);
  const named = new Set(window.intruderSessions ?? []);
  const startedIn = new Map(
    (await m.sessionsStarted(tx, accountId, [...new Set(removals.flatMap((r) => r.session_id ?? []))])).map(
      (s) => [s.id, s.created_at],
    ),
  );
  const byIntruder = (sessionId: string | null) => {
    if (sessionId === null) return false;
    const started = startedIn.get(sessionId);
    return named.has(sessionId) || (started !== undefined && started >= from && started <= to);
  };
  for (const r of removals) {
    if (!byIntruder(r.session_id)) {
      if (r.kind === 'passkey')
        passkeysLeftRemoved.push((JSON.parse(r.row) as PasskeysTable).id.slice(0, 32));
      else totpLeftRemoved = true;
      continue;
    }
    if (r.kind === 'passkey') {
      const row = JSON.parse(r.row) as PasskeysTable;
      if (row.account_id !== accountId || (await m.passkey(tx, row.id))) continue;
      await m.insertPasskey(tx, row);
      passkeysRestored.push(row.id.slice(0, 32));
    } else {
      const row = JSON.parse(r.row) as TotpFactorsTable;
      if (row.account_id !== accountId || row.confirmed_at === null || (await m.totp(tx, accountId)))
        continue;
      await m.insertTotp(tx, row);
      totpRestored = true;
    }
    await m.markRestored(tx, r.id, now);
  }
  const out: SecondFactorsReverted = {
    passkeysRemoved: passkeysRemoved.map((id) => id.slice(0, 32)),
    passkeysRestored,
    totpRemoved,
    totpRestored,
    passkeysLeftRemoved,
    totpLeftRemoved,
  };
  if (
    passkeysRemoved.length + passkeysRestored.length + passkeysLeftRemoved.length > 0 ||
    totpRemoved ||
    totpRestored ||
    totpLeftRemoved
  )
    await appendAuditInTx(tx, {
      actor: `account:${accountId}`,
      action: 'second_factors.reverted',
      subject: accountId,
      data: { case: window.caseId, window: { from, to }, ...out },
      at: now,
    });
  return out;
}
