import type { IdentityService } from '../identity/index.ts';
import type { Logger } from '../log/index.ts';
import type { GrantRevoker, Notifier } from './service.ts';
import type { Localized } from './texts.ts';

/**
 * Revokes Gatehouse's own sessions as "grants": the intruder's session, or all of them. The OAuth part
 * will register a second GrantRevoker for third-party app grants and tokens.
 */
export class SessionGrantRevoker implements GrantRevoker {
  private readonly identity: IdentityService;
  constructor(identity: IdentityService) {
    this.identity = identity;
  }
  async revokeGrants(
    account: string,
    scope: 'intruder' | 'all',
    session: string | undefined,
  ): Promise<{ revoked: number; kind: string }> {
    if (scope === 'intruder' && session) {
      try {
        await this.identity.revokeSession(account, session, 'operator');
        return { revoked: 1, kind: 'gatehouse_session' };
      } catch {
        return { revoked: 0, kind: 'gatehouse_session' };
      }
    }
    return {
      revoked: (await this.identity.revokeAll(account, 'operator').catch(() => [])).length,
      kind: 'gatehouse_session',
    };
  }
}

/**
 * The development notifier: writes the notice to the log, clearly marked. It does not pretend to send an
 * SMS or e-mail; production deployments plug in their own Notifier (or act on the owner.notify webhook).
 */
export class LogNotifier implements Notifier {
  private readonly log: Logger;
  constructor(log: Logger) {
    this.log = log;
  }
  async notify(account: string, text: Localized, kind: string): Promise<{ channel: string }> {
    this.log.info(
      { account, kind, notice: text, channel: 'development-log' },
      'owner notification (development notifier: written to the log, not sent)',
    );
    return { channel: 'development-log' };
  }
}
