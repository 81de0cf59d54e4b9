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
 * [from, to], in the recovery's transaction: passkeys registered and an authenticator app set up there are
 * the intruder's and go (a passkey signs in on its own: left in place it would hand the account straight
 * back); passkeys and the app removed there were the owner's and come back, unless the same credential or
 * an app is live again by then. Audited as `second_factors.reverted`.
 */
export async function revertSecondFactors(
  tx: Tx,
  accountId: string,
  window: { from: number; to: number; caseId: string },
  now: number,
): Promise<SecondFactorsReverted> {
  const { from, to } = window;
  const passkeysRemoved = await m.deletePasskeysCreatedBetween(tx, accountId, from, to);
  const totpRemoved = await m.deleteTotpSetUpBetween(tx, accountId, from, to);
  const passkeysRestored: string[] = [];
  let totpRestored = false;
  for (const r of await m.removedBetween(tx, accountId, from, to)) {
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
  };
  if (passkeysRemoved.length + passkeysRestored.length > 0 || totpRemoved || totpRestored)
    await appendAuditInTx(tx, {
      actor: `account:${accountId}`,
      action: 'second_factors.reverted',
      subject: accountId,
      data: { case: window.caseId, window: { from, to }, ...out },
      at: now,
    });
  return out;
}
