/** Velocity and fan-out against the account's own (decayed) peaks. */
import { clamp01 } from '../signals.ts';
import { decay } from '../windows.ts';
import type { Detector, MessageContext } from './context.ts';

/** Strength of a count against the account's own (decayed) peak: 0 at 2×, 1 at 16×. */
export function burst(cur: number, peak: number, floor: number): number {
  const base = Math.max(peak, floor);
  if (cur <= 2 * base) return 0;
  return clamp01((Math.log2(cur / base) - 1) / 3);
}

export function peakNow(c: MessageContext, peak: number): number {
  return peak * decay(c.t - c.acct.peakAt, c.limits.peakHalfLifeMs);
}

export const velocity: Detector<MessageContext> = {
  name: 'velocity',
  run(c, out) {
    const s = burst(c.msgs10, peakNow(c, c.acct.peakMsgs10), 8);
    if (s > 0)
      out.emit(
        'velocity',
        c.msgs10,
        s,
        `${c.msgs10} messages in 10 minutes, far above this account's usual peak`,
        `10 分钟内发送 ${c.msgs10} 条消息，远超该账号平时的峰值`,
      );
    if (c.msgs1 > 20)
      out.emit(
        'rate_1m',
        c.msgs1,
        clamp01((c.msgs1 - 20) / 40),
        `${c.msgs1} messages in one minute`,
        `1 分钟内发送 ${c.msgs1} 条消息`,
      );
  },
};

export const fanout: Detector<MessageContext> = {
  name: 'fanout',
  run(c, out) {
    const s = burst(c.rcpt10, peakNow(c, c.acct.peakRcpt10), 5);
    if (s > 0)
      out.emit(
        'fanout',
        c.rcpt10,
        s,
        `${c.rcpt10} distinct recipients in 10 minutes, far above this account's usual peak`,
        `10 分钟内联系了 ${c.rcpt10} 个不同的人，远超该账号平时的峰值`,
      );
  },
};

export const firstContactBurst: Detector<MessageContext> = {
  name: 'first_contact_burst',
  run(c, out) {
    if (c.newRcpt10 < 5 || c.acct.messages < 3) return;
    out.emit(
      'first_contact_burst',
      c.newRcpt10,
      clamp01((c.newRcpt10 - 2) / 8),
      `${c.newRcpt10} people never messaged before were contacted within 10 minutes`,
      `10 分钟内联系了 ${c.newRcpt10} 个从未联系过的人`,
    );
  },
};

export const groupBlast: Detector<MessageContext> = {
  name: 'group_blast',
  run(c, out) {
    const s = burst(c.groups10, peakNow(c, c.acct.peakGroups10), 2);
    if (s > 0)
      out.emit(
        'group_blast',
        c.groups10,
        s,
        `posted to ${c.groups10} groups within 10 minutes`,
        `10 分钟内在 ${c.groups10} 个群发言`,
      );
  },
};

export const repeatedContent: Detector<MessageContext> = {
  name: 'repeated_content',
  run(c, out) {
    if (c.repeat10 < 5) return;
    out.emit(
      'repeated_content',
      c.repeat10,
      clamp01((c.repeat10 - 3) / 10),
      `the same text was sent ${c.repeat10} times within 10 minutes`,
      `10 分钟内同一内容发送了 ${c.repeat10} 次`,
    );
  },
};
