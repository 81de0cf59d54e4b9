/**
 * The one error registry. Every error Gatehouse returns or throws on purpose has a stable code here,
 * an HTTP status and a bilingual title. Routes answer with RFC 9457 problem+json built from it.
 */
export interface ErrorDef {
  status: number;
  title: string;
  titleZh: string;
}

export const ERRORS = {
  // generic request problems
  BAD_REQUEST: { status: 400, title: 'The request is malformed', titleZh: '请求格式错误' },
  INVALID_JSON: { status: 400, title: 'The body is not valid JSON', titleZh: '请求体不是合法的 JSON' },
  INVALID_UTF8: { status: 400, title: 'The body is not valid UTF-8', titleZh: '请求体不是合法的 UTF-8' },
  VALIDATION_FAILED: { status: 400, title: 'The request did not pass validation', titleZh: '请求未通过校验' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type', titleZh: '不支持的内容类型' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The body is too large', titleZh: '请求体过大' },
  NOT_FOUND: { status: 404, title: 'Not found', titleZh: '未找到' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed', titleZh: '不允许的方法' },
  RATE_LIMITED: { status: 429, title: 'Too many requests; retry later', titleZh: '请求过于频繁，请稍后再试' },
  INTERNAL: { status: 500, title: 'Internal error', titleZh: '内部错误' },
  NOT_READY: { status: 503, title: 'The service is not ready', titleZh: '服务尚未就绪' },
  // authentication
  UNAUTHENTICATED: { status: 401, title: 'Authentication is required', titleZh: '需要登录' },
  SESSION_INVALID: { status: 401, title: 'The session is invalid or has ended', titleZh: '会话无效或已结束' },
  CSRF_FAILED: { status: 403, title: 'The CSRF token is missing or wrong', titleZh: 'CSRF 令牌缺失或错误' },
  FORBIDDEN: { status: 403, title: 'Not allowed', titleZh: '无权执行此操作' },
  API_KEY_INVALID: {
    status: 401,
    title: 'The operator API key is missing or invalid',
    titleZh: '运维 API 密钥缺失或无效',
  },
  API_KEY_SCOPE: {
    status: 403,
    title: 'The operator API key lacks the required scope',
    titleZh: '运维 API 密钥缺少所需权限',
  },
  // identity
  HANDLE_TAKEN: { status: 409, title: 'The handle is already taken', titleZh: '该用户名已被占用' },
  INVALID_CREDENTIALS: { status: 401, title: 'Wrong handle or password', titleZh: '用户名或密码错误' },
  ACCOUNT_FROZEN: { status: 403, title: 'The account is frozen', titleZh: '账号已被冻结' },
  ACCOUNT_DELETED: { status: 410, title: 'The account has been deleted', titleZh: '账号已删除' },
  ACCOUNT_NOT_FOUND: { status: 404, title: 'No such account', titleZh: '账号不存在' },
  SESSION_NOT_FOUND: { status: 404, title: 'No such session', titleZh: '会话不存在' },
  WEAK_PASSWORD: { status: 400, title: 'The password is too weak', titleZh: '密码强度不足' },
  KEY_NOT_FOUND: { status: 404, title: 'No such API key', titleZh: 'API 密钥不存在' },
  // configuration (start-up)
  CONFIG_INVALID: { status: 500, title: 'The configuration is invalid', titleZh: '配置无效' },
  POLICY_INVALID: { status: 400, title: 'The response policy is invalid', titleZh: '处置策略无效' },
  // response
  CHALLENGE_CLOSED: {
    status: 409,
    title: 'The challenge is already answered or has expired',
    titleZh: '该验证已回答或已过期',
  },
  CHALLENGE_SUSPECTED_SESSION: {
    status: 403,
    title: 'Answer from another of your sessions, not the one under suspicion',
    titleZh: '请在你的其他会话中回答，不能使用被怀疑的会话',
  },
  HOLD_NOT_FOUND: { status: 404, title: 'No such held message', titleZh: '没有该暂缓消息' },
  // incidents
  INCIDENT_NOT_FOUND: { status: 404, title: 'No such incident', titleZh: '事件不存在' },
  // content: url
  BRANDS_INVALID: {
    status: 400,
    title: 'The protected brands file is invalid',
    titleZh: '受保护品牌文件无效',
  },
  DOMAIN_LIST_INVALID: {
    status: 400,
    title: 'The domain block/allow list is invalid',
    titleZh: '域名黑/白名单无效',
  },
  // content: text
  TEXT_MODEL_INVALID: { status: 500, title: 'The text model file is invalid', titleZh: '文本模型文件无效' },
  TEXT_MODEL_NOT_FOUND: {
    status: 404,
    title: 'The text model file was not found',
    titleZh: '未找到文本模型文件',
  },
  TEXT_DATA_NOT_FOUND: {
    status: 404,
    title: 'The training data file was not found',
    titleZh: '未找到训练数据文件',
  },
  TEXT_DATA_INVALID: { status: 400, title: 'The training data has bad lines', titleZh: '训练数据存在错误行' },
  // content: image
  IMAGE_EMPTY: { status: 400, title: 'The image is empty (zero bytes)', titleZh: '图片为空（零字节）' },
  IMAGE_TOO_LARGE: { status: 413, title: 'The image file is too large', titleZh: '图片文件过大' },
  IMAGE_TOO_MANY_PIXELS: {
    status: 413,
    title: 'The image has too many pixels',
    titleZh: '图片像素过多',
  },
  IMAGE_UNSUPPORTED: {
    status: 415,
    title: 'Not an image, or an unsupported image format',
    titleZh: '不是图片，或图片格式不受支持',
  },
  IMAGE_CORRUPT: { status: 422, title: 'The image is corrupt or truncated', titleZh: '图片已损坏或不完整' },
  IMAGE_DECODE_TIMEOUT: { status: 422, title: 'Decoding the image took too long', titleZh: '图片解码超时' },
  IMAGE_UNREADABLE: { status: 400, title: 'The image file cannot be read', titleZh: '无法读取图片文件' },
  PDQ_HASH_INVALID: {
    status: 400,
    title: 'Not a PDQ hash (64 hexadecimal digits)',
    titleZh: '不是 PDQ 哈希（64 位十六进制）',
  },
  PDQ_LOW_QUALITY: {
    status: 422,
    title: 'The PDQ hash quality is too low to be banked',
    titleZh: 'PDQ 哈希质量过低，不能入库',
  },
  BANK_FILE_INVALID: { status: 400, title: 'The hash bank file is invalid', titleZh: '哈希库文件无效' },
  BANK_ENTRY_NOT_FOUND: { status: 404, title: 'No such hash bank entry', titleZh: '哈希库中无此条目' },
  // delivery
  WEBHOOK_ENDPOINT_NOT_FOUND: {
    status: 404,
    title: 'No such webhook endpoint',
    titleZh: 'Webhook 端点不存在',
  },
  WEBHOOK_URL_INVALID: {
    status: 400,
    title: 'The webhook URL must be an absolute http or https URL',
    titleZh: 'Webhook 地址必须是完整的 http 或 https 地址',
  },
  WEBHOOK_CURSOR_INVALID: { status: 400, title: 'The feed cursor is invalid', titleZh: '订阅游标无效' },
  WEBHOOK_MESSAGE_NOT_FOUND: { status: 404, title: 'No such webhook message', titleZh: 'Webhook 消息不存在' },
  SECRET_KEY_INVALID: {
    status: 500,
    title: 'The secret key cannot decrypt stored secrets',
    titleZh: '密钥无法解密已存储的机密',
  },
  // audit
  AUDIT_ENTRY_INVALID: { status: 400, title: 'The audit entry is invalid', titleZh: '审计记录无效' },
  // engine
  EVENT_INVALID: { status: 400, title: 'The event is invalid', titleZh: '事件无效' },
  BATCH_TOO_LARGE: { status: 400, title: 'Too many events in one batch', titleZh: '单批事件过多' },
  CAMPAIGN_NOT_FOUND: { status: 404, title: 'No such campaign', titleZh: '群发活动不存在' },
  // recovery
  RECOVERY_NOT_ELIGIBLE: {
    status: 404,
    title: 'No frozen account with that handle can be appealed',
    titleZh: '没有可申诉的已冻结账号',
  },
  ACCOUNT_NOT_FROZEN: { status: 409, title: 'The account is not frozen', titleZh: '账号未被冻结' },
  RECOVERY_TOO_MANY_CASES: {
    status: 429,
    title: 'Too many open appeal cases for this account',
    titleZh: '该账号未结的申诉过多',
  },
  RECOVERY_CASE_NOT_FOUND: { status: 404, title: 'No such appeal case', titleZh: '申诉不存在' },
  RECOVERY_TOKEN_INVALID: {
    status: 401,
    title: 'The appeal token is missing, invalid or expired',
    titleZh: '申诉令牌缺失、无效或已过期',
  },
  RECOVERY_WRONG_STATE: {
    status: 409,
    title: 'The appeal case is not in a state that allows this step',
    titleZh: '申诉当前状态不允许此步骤',
  },
  RECOVERY_METHOD_UNAVAILABLE: {
    status: 409,
    title: 'This verification method is not available for the account',
    titleZh: '该账号无法使用此验证方式',
  },
  RECOVERY_CODE_INVALID: { status: 401, title: 'The code is wrong', titleZh: '验证码错误' },
  RECOVERY_CODE_EXPIRED: {
    status: 410,
    title: 'The code has expired or was already used; start again',
    titleZh: '验证码已过期或已使用，请重新开始',
  },
  RECOVERY_LOCKED: {
    status: 423,
    title: 'Too many wrong answers; verification is locked for a while',
    titleZh: '错误次数过多，验证已暂时锁定',
  },
  RECOVERY_PLEDGE_OUTDATED: {
    status: 409,
    title: 'The pledge text has changed; read and accept the current version',
    titleZh: '承诺书已更新，请阅读并接受当前版本',
  },
  RECOVERY_STEP_INCOMPLETE: {
    status: 409,
    title: 'An earlier step of the appeal is not complete',
    titleZh: '申诉的前置步骤尚未完成',
  },
  RECOVERY_SESSIONS_UNDECIDED: {
    status: 400,
    title: 'Every session must be kept or revoked; sessions from the compromise must be revoked',
    titleZh: '每个会话都须选择保留或退出；被盗期间的会话必须退出',
  },
  RECOVERY_FRIEND_NOT_TRUSTED: {
    status: 403,
    title: 'You are not asked to vouch for this account, or the code is not yours',
    titleZh: '您不是该账号的验证好友，或验证码不属于您',
  },
  RECOVERY_CHANNEL_NOT_FOUND: { status: 404, title: 'No such contact channel', titleZh: '联系方式不存在' },
  RECOVERY_CHANNEL_EXISTS: {
    status: 409,
    title: 'This contact channel is already registered',
    titleZh: '该联系方式已登记',
  },
  RECOVERY_SENDER_UNAVAILABLE: {
    status: 503,
    title: 'No code sender is configured for this channel',
    titleZh: '未配置此类验证码的发送方式',
  },
  // sim
  SCENARIO_INVALID: { status: 400, title: 'The scenario file is invalid', titleZh: '场景文件无效' },
  SCENARIO_NOT_FOUND: { status: 404, title: 'No such scenario file', titleZh: '场景文件不存在' },
  SIM_API_FAILED: {
    status: 502,
    title: 'The Gatehouse API answered the simulator with an error',
    titleZh: 'Gatehouse 接口向模拟器返回了错误',
  },
  CHAT_NOT_INSTALLED: {
    status: 500,
    title:
      'The reference chat (@gatehouse/example-chat) is not installed; run `npm install` at the repository root',
    titleZh: '未安装参考聊天平台（@gatehouse/example-chat）；请在仓库根目录运行 `npm install`',
  },
} as const satisfies Record<string, ErrorDef>;

export type ErrorCode = keyof typeof ERRORS;

/** An error with a stable code. `detail` is for the reader; `extra` lands as extension members. */
export class GatehouseError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly extra: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    detail?: string,
    opts: { extra?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(detail ?? ERRORS[code].title, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'GatehouseError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.extra = opts.extra;
    this.headers = opts.headers;
  }
}

export function isGatehouseError(e: unknown): e is GatehouseError {
  return e instanceof GatehouseError;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail?: string;
  instance?: string;
  titleZh: string;
  [k: string]: unknown;
}

/** RFC 9457 problem details for a registry code. */
export function problem(
  code: ErrorCode,
  detail?: string,
  extra?: Record<string, unknown>,
  instance?: string,
): Problem {
  const def = ERRORS[code];
  return {
    type: `https://gatehouse.dev/errors/${code.toLowerCase().replaceAll('_', '-')}`,
    title: def.title,
    titleZh: def.titleZh,
    status: def.status,
    code,
    ...(detail !== undefined && detail !== def.title ? { detail } : {}),
    ...(instance ? { instance } : {}),
    ...extra,
  };
}
