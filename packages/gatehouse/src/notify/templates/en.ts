import type { ExtraTemplates, NoticeContent, RenderContext, Templates } from './content.ts';

const METHOD: Record<string, string> = {
  password: 'password',
  qr: 'QR code scanned on another device',
  device_code: 'code shown on another device',
  passkey: 'passkey',
  totp: 'password and authenticator code',
  recovery: 'account recovery',
};
const FACTOR: Record<string, string> = {
  email: 'recovery email address',
  phone: 'recovery phone number',
  recovery_codes: 'recovery codes',
  trusted_friends: 'trusted friends',
  passkey: 'passkey',
  totp: 'authenticator app',
};
const NOVEL: Record<string, string> = { device: 'device', network: 'network', country: 'country' };

const notMe = (x: RenderContext): NoticeContent['actions'] =>
  x.notMe ? [{ label: "This wasn't me: lock my account now", url: x.notMe }] : [];
const NOT_ME_ADVICE =
  "If this wasn't you, use the \"This wasn't me\" link below: it ends the intruder's access and freezes the account until you prove it is yours.";
const NEVER_SHARE = 'Gatehouse never asks for your password or a code by phone, chat or email.';

export const EN: Templates = {
  'signin.new': (p, x) => ({
    subject: `New sign-in to your account ${x.handle}`,
    summary: `New sign-in to ${x.handle} from a new ${p.novel.map((n) => NOVEL[n]).join(', ')}: ${p.device}, ${x.time(p.at)}.`,
    facts: [
      ['When', x.time(p.at)],
      ['Device', p.device],
      ['Network', `${p.network} (IP ${p.ip})`],
      ...(p.country ? ([['Country or region', p.country]] as Array<[string, string]>) : []),
      ['How', METHOD[p.method] ?? p.method],
    ],
    advice: ['If this was you, there is nothing to do.', NOT_ME_ADVICE, NEVER_SHARE],
    actions: [...notMe(x), { label: 'Review recent sign-ins', url: x.page }],
  }),
  'signin.cross_device_approved': (p, x) => ({
    subject: `A sign-in to ${x.handle} was approved from your device`,
    summary: `A sign-in on ${p.device} was approved${p.approvedOn ? ` from ${p.approvedOn}` : ''} at ${x.time(p.at)}.`,
    facts: [
      ['When', x.time(p.at)],
      ['New device', p.device],
      ...(p.approvedOn ? ([['Approved on', p.approvedOn]] as Array<[string, string]>) : []),
      ['IP address', p.ip],
      ...(p.country ? ([['Country or region', p.country]] as Array<[string, string]>) : []),
    ],
    advice: [
      ...(p.probation
        ? [
            'The two devices did not look close to each other, so the new session is limited until it is confirmed.',
          ]
        : []),
      'Scanning a QR code on a web page you were sent is how most accounts are stolen. Approve only sign-ins you started yourself, on a device in front of you.',
      NOT_ME_ADVICE,
    ],
    actions: [...notMe(x), { label: 'Review your sessions', url: x.page }],
  }),
  'recovery.factor_changed': (p, x) => {
    const what = FACTOR[p.factor] ?? p.factor;
    const was = p.factor === 'recovery_codes' || p.factor === 'trusted_friends' ? 'were' : 'was';
    return {
      subject: `Your ${what} ${was} ${p.change} on ${x.handle}`,
      summary: `Your ${what}${p.detail ? ` (${p.detail})` : ''} ${was} ${p.change} at ${x.time(p.at)}.`,
      facts: [
        ['When', x.time(p.at)],
        ['What', `${what} ${p.change}`],
        ...(p.detail ? ([['Detail', p.detail]] as Array<[string, string]>) : []),
        ...(p.coolingOffUntil
          ? ([['Counts for recovery from', x.time(p.coolingOffUntil)]] as Array<[string, string]>)
          : []),
      ],
      advice: [
        'We sent this to the ways of recovering your account that existed before the change.',
        NOT_ME_ADVICE,
      ],
      actions: [...notMe(x), { label: 'Review how your account is recovered', url: x.page }],
    };
  },
  'password.changed': (p, x) => ({
    subject: `The password of ${x.handle} was changed`,
    summary: `The password of ${x.handle} was changed at ${x.time(p.at)}${p.sessionsEnded ? `; ${p.sessionsEnded} other session(s) were signed out` : ''}.`,
    facts: [
      ['When', x.time(p.at)],
      ['How', p.via === 'recovery' ? 'account recovery' : 'account settings'],
      ['Other sessions signed out', String(p.sessionsEnded)],
      ...(p.sessionsKept
        ? [['Older sessions kept signed in', String(p.sessionsKept)] as [string, string]]
        : []),
    ],
    advice: [
      p.via === 'recovery'
        ? 'This happened while the account was being recovered.'
        : 'If this was you, there is nothing to do.',
      ...(p.sessionsKept
        ? [
            'It was changed from a device that signed in recently, so your devices that were signed in before it were not signed out: you can still act from them.',
          ]
        : []),
      NOT_ME_ADVICE,
    ],
    actions: [...notMe(x), { label: 'Review your sessions', url: x.page }],
  }),
  'sessions.ended': (p, x) => {
    const who =
      p.reason === 'operator'
        ? "by the platform's safety team"
        : p.reason === 'others'
          ? 'except the one that asked for it'
          : 'everywhere';
    return {
      subject: `Sessions of ${x.handle} were signed out`,
      summary: `Sessions of ${x.handle} were signed out ${who} at ${x.time(p.at)}.`,
      facts: [
        ['When', x.time(p.at)],
        ['Which', who],
      ],
      advice: ['Sign in again on the devices you use.', ...(p.reason === 'operator' ? [] : [NOT_ME_ADVICE])],
      actions: [...notMe(x), { label: 'Review your sessions', url: x.page }],
    };
  },
  'account.contained': (p, x) => ({
    subject: `Your account ${x.handle} was frozen to protect it`,
    summary: `${p.summary.en}`,
    facts: [
      ['When', x.time(p.at)],
      ['What happened', p.summary.en],
    ],
    advice: [
      'Someone else was using your account. We ended their sessions, withdrew what they sent and warned the people they wrote to.',
      'Open an appeal to prove the account is yours; you will set a new password and review what happened.',
      NEVER_SHARE,
    ],
    actions: [{ label: 'Get your account back', url: x.appeal }],
  }),
  'account.sanctioned': (p, x) => ({
    subject: `Your account ${x.handle} was frozen by the platform`,
    summary: `Your account ${x.handle} was frozen by the platform's safety team at ${x.time(p.at)}: ${p.reason}`,
    facts: [
      ['When', x.time(p.at)],
      ['Reason', p.reason],
    ],
    advice: [
      'You cannot sign in while the account is frozen.',
      'If you think this is a mistake, appeal: the platform reviews it.',
    ],
    actions: [{ label: 'Appeal', url: x.appeal }],
  }),
  'appeal.opened': (p, x) => ({
    subject: `An appeal was opened for ${x.handle}`,
    summary: `An appeal to recover ${x.handle} was opened${p.openedBy === 'operator' ? ' by the support team' : ''} at ${x.time(p.at)}.`,
    facts: [
      ['When', x.time(p.at)],
      ['Case', p.case],
    ],
    advice: [
      'Continue with the appeal where you opened it.',
      'If you did not open it, do nothing: only someone who can prove they own the account gets it back, and we will tell you at every step.',
    ],
    actions: [{ label: 'Your appeal', url: x.page }],
  }),
  'appeal.verified': (p, x) => ({
    subject: `The appeal for ${x.handle} passed verification`,
    summary: `The appeal for ${x.handle} passed verification (${p.method}) at ${x.time(p.at)}.`,
    facts: [
      ['When', x.time(p.at)],
      ['Case', p.case],
      ['Verified with', p.method],
    ],
    advice: [
      'Next: accept the pledge, set a new password and review the sessions.',
      'If you are not appealing, contact the platform at once: someone proved ownership of your account.',
    ],
    actions: [{ label: 'Your appeal', url: x.page }],
  }),
  'appeal.finished': (p, x) => ({
    subject:
      p.outcome === 'restored'
        ? `Your account ${x.handle} is yours again`
        : `The appeal for ${x.handle} ${p.outcome === 'rejected' ? 'was rejected' : 'expired'}`,
    summary:
      p.outcome === 'restored'
        ? `Your account ${x.handle} was restored at ${x.time(p.at)}.`
        : `The appeal for ${x.handle} ${p.outcome === 'rejected' ? 'was rejected' : 'expired'} at ${x.time(p.at)}${p.reason ? `: ${p.reason}` : ''}.`,
    facts: [
      ['When', x.time(p.at)],
      ['Case', p.case],
      ...(p.reason ? ([['Reason', p.reason]] as Array<[string, string]>) : []),
    ],
    advice:
      p.outcome === 'restored'
        ? [
            'Read the report of what happened while the account was out of your hands.',
            'Add recovery codes and a second way to recover the account.',
          ]
        : ['You can open a new appeal.'],
    actions: [{ label: p.outcome === 'restored' ? 'What happened' : 'Appeal again', url: x.page }],
  }),
  'app.authorised': (p, x) => ({
    subject: `${p.app} can now use your account ${x.handle}`,
    summary: `You allowed ${p.app} to use ${x.handle} at ${x.time(p.at)}${p.scopes.length ? ` (${p.scopes.join(', ')})` : ''}.`,
    facts: [
      ['When', x.time(p.at)],
      ['App', p.app],
      ['Access', p.scopes.join(', ') || 'sign-in only'],
    ],
    advice: [
      'Apps that promise free game items or skins in exchange for access are a common scam.',
      NOT_ME_ADVICE,
    ],
    actions: [...notMe(x), { label: 'Review your apps', url: x.page }],
  }),
  'app.suspended': (p, x) => ({
    subject: `${p.app} was switched off by the platform`,
    summary: `${p.app}, which you allowed to use ${x.handle}, was switched off by the platform at ${x.time(p.at)}${p.reason ? `: ${p.reason}` : ''}.`,
    facts: [
      ['When', x.time(p.at)],
      ['App', p.app],
      ...(p.reason ? ([['Reason', p.reason]] as Array<[string, string]>) : []),
    ],
    advice: ['It can no longer read or do anything for you.', 'Review what it could see in your apps page.'],
    actions: [{ label: 'Review your apps', url: x.page }],
  }),
};

export const EN_EXTRA: ExtraTemplates = {
  test: ({ time }) => ({
    subject: 'Gatehouse test message',
    summary: `This is a test message from Gatehouse, sent at ${time}. Notifications can reach this address.`,
    facts: [['Sent', time]],
    advice: ['Nothing to do.'],
    actions: [],
  }),
  // the subject never carries the code (lock screens and mail lists show subjects); the body is
  // recovery's codeText
  codeSubject: 'Your Gatehouse verification code',
};
