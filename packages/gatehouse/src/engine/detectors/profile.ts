/**
 * Profile deviation (COMPA-style): the account breaks its own habits — an hour, client, script,
 * link domain or recipients it never uses. On their own these describe a person greeting everyone
 * at New Year as well as an intruder; compromise evidence is what tells them apart (README).
 */
import { SCRIPTS } from '../text.ts';
import type { Detector, MessageContext } from './context.ts';

export const hourOfDay: Detector<MessageContext> = {
  name: 'hour_of_day',
  run(c, out) {
    const a = c.acct;
    if (a.messages < 10) return;
    const h = c.hour;
    const near = a.hours[h]! + 0.5 * (a.hours[(h + 23) % 24]! + a.hours[(h + 1) % 24]!);
    const share = near / a.messages;
    if (share < 0.02)
      out.emit(
        'new_hour',
        h,
        c.maturity * (1 - share / 0.02),
        `messaging at ${h}:00 UTC, an hour this account almost never uses`,
        `在 UTC ${h} 点发消息，该账号几乎从不在此时段活动`,
      );
  },
};

export const clientChange: Detector<MessageContext> = {
  name: 'client',
  run(c, out) {
    const a = c.acct;
    if (a.messages < 5 || a.clients.has(c.clientKey)) return;
    // a device the owner's phone approved in person (a near QR sign-in) brings its client with it
    if (c.sess?.qrNear) return;
    out.emit(
      'new_client',
      c.clientKey,
      c.maturity,
      `sent from a client never used before (${c.clientKey})`,
      `使用了从未用过的客户端（${c.clientKey}）`,
    );
  },
};

export const languageChange: Detector<MessageContext> = {
  name: 'language',
  run(c, out) {
    const a = c.acct;
    if (c.script < 0 || a.messages < 10) return;
    let total = 0;
    for (let i = 0; i < a.scripts.length; i++) total += a.scripts[i]!;
    if (total < 10) return;
    const share = a.scripts[c.script]! / total;
    if (share < 0.02) {
      const s = SCRIPTS[c.script]!;
      out.emit(
        'new_script',
        s,
        c.maturity,
        `writes in a script this account never uses (${s})`,
        `使用了该账号从不使用的文字（${s}）`,
      );
    }
  },
};

export const linkDomains: Detector<MessageContext> = {
  name: 'link_domains',
  run(c, out) {
    const a = c.acct;
    if (c.content.domains.length === 0 || a.messages < 10) return;
    if (a.linksSent === 0) {
      out.emit(
        'first_link',
        c.content.domains[0]!,
        c.maturity,
        `first link ever sent by this account (${c.content.domains[0]})`,
        `该账号首次发送链接（${c.content.domains[0]}）`,
      );
      return;
    }
    for (const d of c.content.domains) {
      if (!a.linkDomains.has(d)) {
        out.emit(
          'new_link_domain',
          d,
          c.maturity,
          `link to a site this account never linked (${d})`,
          `链接到该账号从未分享过的网站（${d}）`,
        );
        return;
      }
    }
  },
};

export const newRecipients: Detector<MessageContext> = {
  name: 'new_recipients',
  run(c, out) {
    if (c.recipients === 0 || c.acct.messages < 10) return;
    const share = c.newRecipients / c.recipients;
    if (share > 0.5)
      out.emit(
        'new_recipients',
        c.newRecipients,
        c.maturity * share,
        `${c.newRecipients} of ${c.recipients} recipients were never messaged before`,
        `${c.recipients} 个收件人中有 ${c.newRecipients} 个从未联系过`,
        { recipients: c.recipients },
      );
  },
};
