/** Account events other than messages: friend removals and changes made from a new session. */
import type { SignalSink } from '../signals.ts';
import { clamp01 } from '../signals.ts';
import type { SessionState } from '../state.ts';

export function friendRemovalBurst(removed10: number, out: SignalSink): void {
  if (removed10 >= 5)
    out.emit(
      'friend_removal_burst',
      removed10,
      clamp01((removed10 - 3) / 10),
      `${removed10} friends removed within 10 minutes`,
      `10 分钟内删除了 ${removed10} 位好友`,
    );
}

/** A profile field or the password changed from a session signed in < 1 h ago on a new device or network. */
export function changedFromNewSession(
  s: SessionState | undefined,
  t: number,
  signal: 'profile_changed_new_session' | 'password_changed_new_session',
  what: string,
  out: SignalSink,
): void {
  if (s && t - s.createdAt < 3600_000 && (s.deviceNew || s.networkNew))
    out.emit(
      signal,
      what,
      1,
      `${what} changed from a session signed in less than an hour ago on a new device or network`,
      `${what} 在新设备/新网络登录不到一小时的会话中被修改`,
    );
}
