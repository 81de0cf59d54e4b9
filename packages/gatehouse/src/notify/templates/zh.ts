import type { ExtraTemplates, NoticeContent, RenderContext, Templates } from './content.ts';

const METHOD: Record<string, string> = {
  password: '密码',
  qr: '在另一台设备上扫码',
  device_code: '另一台设备上显示的验证码',
  passkey: '通行密钥',
  totp: '密码和身份验证器验证码',
  recovery: '账号找回',
};
const FACTOR: Record<string, string> = {
  email: '找回邮箱',
  phone: '找回手机号',
  recovery_codes: '恢复码',
  trusted_friends: '可信好友',
  passkey: '通行密钥',
  totp: '身份验证器',
};
const CHANGE: Record<string, string> = { added: '添加', changed: '更改', removed: '移除' };
const NOVEL: Record<string, string> = { device: '设备', network: '网络', country: '国家/地区' };

const notMe = (x: RenderContext): NoticeContent['actions'] =>
  x.notMe ? [{ label: '不是我本人：立即锁定账号', url: x.notMe }] : [];
const NOT_ME_ADVICE =
  '如果不是你本人操作，请点击下方“不是我本人”链接：我们会立即终止入侵者的访问，并冻结账号，直到你证明账号属于你。';
const NEVER_SHARE = 'Gatehouse 绝不会通过电话、聊天或邮件向你索要密码或验证码。';

export const ZH: Templates = {
  'signin.new': (p, x) => ({
    subject: `你的账号 ${x.handle} 有新的登录`,
    summary: `你的账号 ${x.handle} 于 ${x.time(p.at)} 在新的${p.novel.map((n) => NOVEL[n]).join('、')}上登录：${p.device}。`,
    facts: [
      ['时间', x.time(p.at)],
      ['设备', p.device],
      ['网络', `${p.network}（IP ${p.ip}）`],
      ...(p.country ? ([['国家/地区', p.country]] as Array<[string, string]>) : []),
      ['登录方式', METHOD[p.method] ?? p.method],
    ],
    advice: ['如果是你本人，无需任何操作。', NOT_ME_ADVICE, NEVER_SHARE],
    actions: [...notMe(x), { label: '查看最近的登录', url: x.page }],
  }),
  'signin.cross_device_approved': (p, x) => ({
    subject: `你的设备批准了账号 ${x.handle} 的一次登录`,
    summary: `${x.time(p.at)}，${p.approvedOn ? `你在 ${p.approvedOn} 上` : '你'}批准了 ${p.device} 的登录。`,
    facts: [
      ['时间', x.time(p.at)],
      ['新设备', p.device],
      ...(p.approvedOn ? ([['批准设备', p.approvedOn]] as Array<[string, string]>) : []),
      ['IP 地址', p.ip],
      ...(p.country ? ([['国家/地区', p.country]] as Array<[string, string]>) : []),
    ],
    advice: [
      ...(p.probation ? ['两台设备看起来不在一起，新会话在确认之前功能受限。'] : []),
      '扫描别人发来的网页上的二维码是最常见的盗号方式。只批准你本人、在你面前的设备上发起的登录。',
      NOT_ME_ADVICE,
    ],
    actions: [...notMe(x), { label: '查看你的会话', url: x.page }],
  }),
  'recovery.factor_changed': (p, x) => {
    const what = FACTOR[p.factor] ?? p.factor;
    const change = CHANGE[p.change] ?? p.change;
    return {
      subject: `账号 ${x.handle} 的${what}已被${change}`,
      summary: `你的${what}${p.detail ? `（${p.detail}）` : ''}已于 ${x.time(p.at)} 被${change}。`,
      facts: [
        ['时间', x.time(p.at)],
        ['变更', `${change}${what}`],
        ...(p.detail ? ([['详情', p.detail]] as Array<[string, string]>) : []),
        ...(p.coolingOffUntil
          ? ([['可用于找回的时间', x.time(p.coolingOffUntil)]] as Array<[string, string]>)
          : []),
      ],
      advice: ['此通知发送到变更之前已有的账号找回方式。', NOT_ME_ADVICE],
      actions: [...notMe(x), { label: '查看账号找回方式', url: x.page }],
    };
  },
  'password.changed': (p, x) => ({
    subject: `账号 ${x.handle} 的密码已更改`,
    summary: `账号 ${x.handle} 的密码已于 ${x.time(p.at)} 更改${p.sessionsEnded ? `，另有 ${p.sessionsEnded} 个会话已退出登录` : ''}。`,
    facts: [
      ['时间', x.time(p.at)],
      ['方式', p.via === 'recovery' ? '账号找回' : '账号设置'],
      ['已退出的其他会话', String(p.sessionsEnded)],
      ...(p.sessionsKept ? [['仍保持登录的较早会话', String(p.sessionsKept)] as [string, string]] : []),
    ],
    advice: [
      p.via === 'recovery' ? '此次更改发生在账号找回过程中。' : '如果是你本人，无需任何操作。',
      ...(p.sessionsKept
        ? ['此次更改来自一台刚登录的设备，因此在它之前登录的设备没有被退出：你仍可以在这些设备上操作。']
        : []),
      NOT_ME_ADVICE,
    ],
    actions: [...notMe(x), { label: '查看你的会话', url: x.page }],
  }),
  'sessions.ended': (p, x) => {
    const who =
      p.reason === 'operator'
        ? '由平台安全团队'
        : p.reason === 'others'
          ? '（发起操作的会话除外）'
          : '在所有设备上';
    return {
      subject: `账号 ${x.handle} 的会话已退出登录`,
      summary: `账号 ${x.handle} 的会话已于 ${x.time(p.at)} ${who}退出登录。`,
      facts: [
        ['时间', x.time(p.at)],
        ['范围', who],
      ],
      advice: ['请在你使用的设备上重新登录。', ...(p.reason === 'operator' ? [] : [NOT_ME_ADVICE])],
      actions: [...notMe(x), { label: '查看你的会话', url: x.page }],
    };
  },
  'account.contained': (p, x) => ({
    subject: `为保护你的账号，${x.handle} 已被冻结`,
    summary: p.summary.zh,
    facts: [
      ['时间', x.time(p.at)],
      ['发生了什么', p.summary.zh],
    ],
    advice: [
      '有人盗用了你的账号。我们已终止其会话、撤回其发送的消息，并提醒了收到消息的人。',
      '请提交申诉证明账号属于你；你将设置新密码，并查看账号失控期间发生的情况。',
      NEVER_SHARE,
    ],
    actions: [{ label: '找回账号', url: x.appeal }],
  }),
  'account.sanctioned': (p, x) => ({
    subject: `你的账号 ${x.handle} 已被平台冻结`,
    summary: `你的账号 ${x.handle} 已于 ${x.time(p.at)} 被平台安全团队冻结：${p.reason}`,
    facts: [
      ['时间', x.time(p.at)],
      ['原因', p.reason],
    ],
    advice: ['账号冻结期间无法登录。', '如果你认为有误，请提交申诉，平台会进行人工审核。'],
    actions: [{ label: '提交申诉', url: x.appeal }],
  }),
  'appeal.opened': (p, x) => ({
    subject: `账号 ${x.handle} 的找回申诉已提交`,
    summary: `账号 ${x.handle} 的找回申诉已于 ${x.time(p.at)} ${p.openedBy === 'operator' ? '由客服' : ''}提交。`,
    facts: [
      ['时间', x.time(p.at)],
      ['申诉编号', p.case],
    ],
    advice: [
      '请在提交申诉的地方继续操作。',
      '如果不是你提交的，无需理会：只有能证明自己是号主的人才能找回账号，每一步我们都会通知你。',
    ],
    actions: [{ label: '你的申诉', url: x.page }],
  }),
  'appeal.verified': (p, x) => ({
    subject: `账号 ${x.handle} 的申诉已通过验证`,
    summary: `账号 ${x.handle} 的申诉已于 ${x.time(p.at)} 通过验证（${p.method}）。`,
    facts: [
      ['时间', x.time(p.at)],
      ['申诉编号', p.case],
      ['验证方式', p.method],
    ],
    advice: [
      '下一步：签署承诺书、设置新密码并检查会话。',
      '如果你没有在申诉，请立即联系平台：有人证明了对你账号的所有权。',
    ],
    actions: [{ label: '你的申诉', url: x.page }],
  }),
  'appeal.finished': (p, x) => ({
    subject:
      p.outcome === 'restored'
        ? `你的账号 ${x.handle} 已恢复`
        : `账号 ${x.handle} 的申诉${p.outcome === 'rejected' ? '未通过' : '已过期'}`,
    summary:
      p.outcome === 'restored'
        ? `你的账号 ${x.handle} 已于 ${x.time(p.at)} 恢复。`
        : `账号 ${x.handle} 的申诉已于 ${x.time(p.at)} ${p.outcome === 'rejected' ? '被驳回' : '过期'}${p.reason ? `：${p.reason}` : ''}。`,
    facts: [
      ['时间', x.time(p.at)],
      ['申诉编号', p.case],
      ...(p.reason ? ([['原因', p.reason]] as Array<[string, string]>) : []),
    ],
    advice:
      p.outcome === 'restored'
        ? ['请阅读账号失控期间发生情况的报告。', '请添加恢复码和第二种账号找回方式。']
        : ['你可以重新提交申诉。'],
    actions: [{ label: p.outcome === 'restored' ? '发生了什么' : '重新申诉', url: x.page }],
  }),
  'app.authorised': (p, x) => ({
    subject: `${p.app} 现在可以使用你的账号 ${x.handle}`,
    summary: `你已于 ${x.time(p.at)} 授权 ${p.app} 使用账号 ${x.handle}${p.scopes.length ? `（${p.scopes.join('、')}）` : ''}。`,
    facts: [
      ['时间', x.time(p.at)],
      ['应用', p.app],
      ['权限', p.scopes.join('、') || '仅登录'],
    ],
    advice: ['以“免费领取游戏道具、皮肤”为名索取授权的应用是常见骗局。', NOT_ME_ADVICE],
    actions: [...notMe(x), { label: '查看已授权的应用', url: x.page }],
  }),
  'app.suspended': (p, x) => ({
    subject: `${p.app} 已被平台停用`,
    summary: `你授权使用账号 ${x.handle} 的 ${p.app} 已于 ${x.time(p.at)} 被平台停用${p.reason ? `：${p.reason}` : ''}。`,
    facts: [
      ['时间', x.time(p.at)],
      ['应用', p.app],
      ...(p.reason ? ([['原因', p.reason]] as Array<[string, string]>) : []),
    ],
    advice: ['它已无法再读取你的信息或代你操作。', '你可以在应用页面查看它曾经能看到的内容。'],
    actions: [{ label: '查看已授权的应用', url: x.page }],
  }),
};

export const ZH_EXTRA: ExtraTemplates = {
  test: ({ time }) => ({
    subject: 'Gatehouse 测试消息',
    summary: `这是 Gatehouse 于 ${time} 发送的测试消息。通知可以送达此地址。`,
    facts: [['发送时间', time]],
    advice: ['无需任何操作。'],
    actions: [],
  }),
  codeSubject: '你的 Gatehouse 验证码',
};
