// UI text in English and Simplified Chinese. The language defaults from navigator.language and can be
// switched; the choice is remembered in localStorage.
export const TEXT = {
  en: {
    appName: 'Gatehouse Chat',
    signIn: 'Sign in',
    signUp: 'Sign up',
    signOut: 'Sign out',
    handle: 'Handle',
    password: 'Password',
    displayName: 'Display name',
    authHint: 'Accounts live in Gatehouse; this chat never stores your password.',
    frozenTitle: 'Your account is frozen.',
    frozenBody:
      'You can read your conversations but cannot send messages. Appeal through Gatehouse to get it back.',
    frozenWhy: 'Why:',
    appealLink: 'Appeal to get your account back',
    profile: 'Profile',
    save: 'Save',
    friends: 'Friends',
    friendHandle: "Friend's handle",
    add: 'Add',
    groups: 'Groups',
    groupName: 'New group name',
    create: 'Create',
    groupId: 'Group id to join',
    join: 'Join',
    pickConversation: 'Pick a friend or a group to start talking.',
    block: 'Block',
    unblock: 'Unblock',
    blocked: 'blocked',
    removeFriend: 'Remove friend',
    leaveGroup: 'Leave group',
    attachImage: 'Attach an image',
    typeMessage: 'Type a message',
    send: 'Send',
    members: '{n} members · id {id}',
    retracted: 'This message was retracted by the platform.',
    held: 'Held for review: not delivered yet.',
    expired: 'Not delivered: the review hold expired.',
    heldNotice: 'Your message is held for review and has not been delivered yet.',
    blockedNotice: 'Not sent: {reasons}',
    report: 'Report',
    reportSpam: 'Spam',
    reportScam: 'Scam / fraud',
    reportNotFriend: 'Not my friend (account hijacked?)',
    reported: 'Reported. Thank you.',
    warningTitle: 'Safety warning',
    dismiss: 'Dismiss',
    you: 'You',
    noFriends: 'No friends yet: add one by handle.',
    noGroups: 'No groups yet.',
    signedOut: 'You were signed out.',
    unfrozen: 'Your account is active again.',
    confirmBlock: 'Block this contact? They will not be able to message you.',
    image: 'Image',
    apps: 'Apps',
    appsHint: 'Sign in to these apps with your chat account; you choose what each one gets.',
    qrSignIn: 'Sign in with a QR code',
    qrScanHint: 'Scan this code with the chat on your phone, where you are signed in.',
    qrWaiting: 'Waiting for your phone…',
    qrDeclined: 'The sign-in was declined.',
    qrExpired: 'The code expired. Ask for a new one.',
    qrApprove: 'Approve a sign-in',
    qrPaste: 'Scanned QR link',
    qrCheck: 'Check',
    qrInFront: 'I started this on a device in front of me',
    qrDecline: 'Decline',
    qrApproveBtn: 'Approve',
    qrDevice: 'Device: {v}',
    qrNetwork: 'Network: {v}',
    qrPlace: 'Location: {v}',
    qrTime: 'Asked at: {v}',
    qrApproved: 'Approved. The other device is signing in.',
    qrDeclinedHere: 'Declined. Nobody was signed in.',
    qrNeedFront: 'Tick “I started this on a device in front of me” to approve.',
  },
  'zh-CN': {
    appName: 'Gatehouse 聊天',
    signIn: '登录',
    signUp: '注册',
    signOut: '退出登录',
    handle: '用户名',
    password: '密码',
    displayName: '昵称',
    authHint: '账号由 Gatehouse 管理，本聊天应用不保存你的密码。',
    frozenTitle: '你的账号已被冻结。',
    frozenBody: '你可以查看会话，但无法发送消息。请通过 Gatehouse 申诉找回账号。',
    frozenWhy: '原因：',
    appealLink: '申诉找回账号',
    profile: '个人资料',
    save: '保存',
    friends: '好友',
    friendHandle: '好友用户名',
    add: '添加',
    groups: '群聊',
    groupName: '新群名称',
    create: '创建',
    groupId: '要加入的群号',
    join: '加入',
    pickConversation: '选择一位好友或一个群开始聊天。',
    block: '拉黑',
    unblock: '取消拉黑',
    blocked: '已拉黑',
    removeFriend: '删除好友',
    leaveGroup: '退出群聊',
    attachImage: '添加图片',
    typeMessage: '输入消息',
    send: '发送',
    members: '{n} 名成员 · 群号 {id}',
    retracted: '此消息已被平台撤回。',
    held: '审核中：尚未送达。',
    expired: '未送达：审核已过期。',
    heldNotice: '你的消息正在审核，尚未送达。',
    blockedNotice: '未发送：{reasons}',
    report: '举报',
    reportSpam: '垃圾信息',
    reportScam: '诈骗',
    reportNotFriend: '不像本人（可能被盗号）',
    reported: '已举报，谢谢。',
    warningTitle: '安全提醒',
    dismiss: '关闭',
    you: '我',
    noFriends: '还没有好友：输入用户名添加。',
    noGroups: '还没有群聊。',
    signedOut: '你已退出登录。',
    unfrozen: '你的账号已恢复正常。',
    confirmBlock: '确定拉黑此联系人？对方将无法给你发消息。',
    image: '图片',
    apps: '应用',
    appsHint: '用聊天账号登录这些应用；每个应用能拿到哪些信息由你决定。',
    qrSignIn: '扫码登录',
    qrScanHint: '请用已登录的手机聊天应用扫描此二维码。',
    qrWaiting: '等待手机确认…',
    qrDeclined: '登录已被拒绝。',
    qrExpired: '二维码已过期，请重新获取。',
    qrApprove: '确认登录',
    qrPaste: '扫描到的二维码链接',
    qrCheck: '查看',
    qrInFront: '这是我在身边的设备上发起的',
    qrDecline: '拒绝',
    qrApproveBtn: '确认',
    qrDevice: '设备：{v}',
    qrNetwork: '网络：{v}',
    qrPlace: '位置：{v}',
    qrTime: '发起时间：{v}',
    qrApproved: '已确认，另一台设备正在登录。',
    qrDeclinedHere: '已拒绝，没有任何设备登录。',
    qrNeedFront: '请勾选“这是我在身边的设备上发起的”后再确认。',
  },
};

export function defaultLang() {
  const saved = localStorage.getItem('lang');
  if (saved && TEXT[saved]) return saved;
  return (navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

let lang = 'en';
export function setLang(l) {
  lang = TEXT[l] ? l : 'en';
  localStorage.setItem('lang', lang);
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-placeholder]'))
    el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of document.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}
export function getLang() {
  return lang;
}
export function t(key, vars = {}) {
  const s = TEXT[lang][key] ?? TEXT.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}
/** Picks the text of a server object carrying { en, zh } or { message, messageZh }. */
export function pick(en, zh) {
  return lang === 'zh-CN' ? zh || en : en || zh;
}
