/**
 * The pledge an owner accepts before their account is unfrozen. Versioned: the version accepted is
 * recorded with the time and IP; a new text gets a new version id and older ones stay here for the record.
 */
export interface Pledge {
  version: string;
  en: string;
  zh: string;
}

export const PLEDGES: readonly Pledge[] = [
  {
    version: '2026-11-v1',
    en: [
      'I confirm that I am the owner of this account and that the information I gave in this appeal is true.',
      'I understand that while my account was out of my control, someone else may have used it to send messages,',
      'remove friends or leave groups, and that Gatehouse has retracted and restored what it could.',
      'I will choose a new password that I use nowhere else, change the old password on every other service where',
      'I used it, never scan a QR code or approve a login that I did not start myself, and not use this account to',
      'send spam, fraud, gambling or pornographic content. I understand that a repeat may lead to a longer freeze.',
    ].join(' '),
    zh: [
      '本人确认是该账号的所有者，并保证本次申诉中提供的信息真实。',
      '本人知悉：账号失控期间，他人可能利用该账号发送消息、删除好友或退出群聊，Gatehouse 已尽力撤回和恢复。',
      '本人将设置一个未在其他地方使用过的新密码，并在所有使用过旧密码的其他服务上修改密码；',
      '不扫描、不确认任何不是本人发起的二维码或登录请求；不利用本账号发送垃圾、诈骗、赌博或色情内容。',
      '本人知悉，如再次发生，账号可能被更长时间冻结。',
    ].join(''),
  },
];

export const CURRENT_PLEDGE: Pledge = PLEDGES[PLEDGES.length - 1]!;

export function pledgeByVersion(version: string): Pledge | undefined {
  return PLEDGES.find((p) => p.version === version);
}
