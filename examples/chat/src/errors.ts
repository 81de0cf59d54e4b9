/** The chat's errors: a stable code, an HTTP status and English and Chinese text. */
export const CHAT_ERRORS = {
  VALIDATION_FAILED: { status: 400, en: 'The request did not pass validation', zh: '请求未通过校验' },
  UNAUTHENTICATED: { status: 401, en: 'Please sign in', zh: '请先登录' },
  CSRF_FAILED: { status: 403, en: 'The CSRF token is missing or wrong', zh: 'CSRF 令牌缺失或错误' },
  FORBIDDEN: { status: 403, en: 'Not allowed', zh: '无权执行此操作' },
  NOT_FOUND: { status: 404, en: 'Not found', zh: '未找到' },
  USER_NOT_FOUND: { status: 404, en: 'No such user on this chat', zh: '本平台没有该用户' },
  GROUP_NOT_FOUND: { status: 404, en: 'No such group', zh: '群不存在' },
  NOT_FRIENDS: { status: 403, en: 'You can only message your friends', zh: '只能给好友发消息' },
  NOT_MEMBER: { status: 403, en: 'You are not a member of this group', zh: '你不是该群成员' },
  CONTACT_BLOCKED: {
    status: 403,
    en: 'This contact does not accept your messages',
    zh: '对方不接收你的消息',
  },
  ACCOUNT_FROZEN: { status: 403, en: 'Your account is frozen', zh: '你的账号已被冻结' },
  MESSAGE_BLOCKED: { status: 422, en: 'This message was not sent', zh: '消息未发送' },
  EMPTY_MESSAGE: { status: 400, en: 'A message needs text or an image', zh: '消息需要文字或图片' },
  UNSUPPORTED_IMAGE: {
    status: 415,
    en: 'Only PNG, JPEG, GIF and WebP images',
    zh: '仅支持 PNG、JPEG、GIF 和 WebP 图片',
  },
  PAYLOAD_TOO_LARGE: { status: 413, en: 'The upload is too large', zh: '上传内容过大' },
  GATEHOUSE_UNAVAILABLE: {
    status: 503,
    en: 'Sign-in service unavailable; try again',
    zh: '登录服务暂不可用，请稍后再试',
  },
  CHECK_UNAVAILABLE: {
    status: 503,
    en: 'Messages cannot be checked right now; nothing was sent. Try again',
    zh: '暂时无法检查消息，消息未发送，请稍后重试',
  },
  WEBHOOK_INVALID: { status: 401, en: 'Webhook signature invalid', zh: 'Webhook 签名无效' },
  WEBHOOKS_UNAVAILABLE: { status: 501, en: 'Webhooks are not configured', zh: '未配置 Webhook' },
  INTERNAL: { status: 500, en: 'Internal error', zh: '内部错误' },
} as const;
export type ChatErrorCode = keyof typeof CHAT_ERRORS;

export class ChatError extends Error {
  readonly code: string;
  readonly status: number;
  readonly en: string;
  readonly zh: string;
  readonly extra: Record<string, unknown>;
  constructor(code: ChatErrorCode, extra: Record<string, unknown> = {}) {
    const e = CHAT_ERRORS[code];
    super(`${code}: ${e.en}`);
    this.code = code;
    this.status = e.status;
    this.en = e.en;
    this.zh = e.zh;
    this.extra = extra;
  }
  /** An error that carries Gatehouse's own code and texts (wrong password, handle taken, …). */
  static fromGatehouse(p: {
    code: string;
    status: number;
    title: string;
    titleZh?: string;
    detail?: string;
  }): ChatError {
    const e = new ChatError('INTERNAL');
    Object.assign(e, {
      code: p.code,
      status: p.status >= 400 && p.status < 500 ? p.status : 503,
      en: p.detail && p.status < 500 ? `${p.title}: ${p.detail}` : p.title,
      zh: p.titleZh ?? p.title,
      message: `${p.code}: ${p.title}`,
    });
    return e;
  }
  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.en, messageZh: this.zh, ...this.extra };
  }
}
