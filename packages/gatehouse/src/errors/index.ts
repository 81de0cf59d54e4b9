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
  STORE_BUSY: {
    status: 503,
    title: 'The database is busy; retry shortly',
    titleZh: '数据库繁忙，请稍后重试',
  },
  STORE_UNAVAILABLE: {
    status: 503,
    title: 'The database cannot be reached; retry shortly',
    titleZh: '暂时无法连接数据库，请稍后重试',
  },
  ENGINE_UNAVAILABLE: {
    status: 503,
    title: 'No engine worker answered for this account; retry shortly',
    titleZh: '该账号的检测引擎暂时无响应，请稍后重试',
  },
  RATE_LIMIT_UNAVAILABLE: {
    status: 503,
    title:
      'The shared attempt counters cannot be reached; credential attempts are refused until they are back',
    titleZh: '共享的尝试计数器暂时不可用，恢复前拒绝凭据尝试',
  },
  // authentication
  UNAUTHENTICATED: { status: 401, title: 'Authentication is required', titleZh: '需要登录' },
  SESSION_INVALID: { status: 401, title: 'The session is invalid or has ended', titleZh: '会话无效或已结束' },
  CSRF_FAILED: { status: 403, title: 'The CSRF token is missing or wrong', titleZh: 'CSRF 令牌缺失或错误' },
  FORBIDDEN: { status: 403, title: 'Not allowed', titleZh: '无权执行此操作' },
  // the web console (console/)
  CONSOLE_NOT_BUILT: {
    status: 503,
    title: 'The web console is not built',
    titleZh: '网页控制台尚未构建',
  },
  OPERATOR_SIGNIN_FAILED: {
    status: 401,
    title: 'Wrong operator name, password or authenticator code',
    titleZh: '运营账号、密码或验证码错误',
  },
  OPERATOR_ROLE: {
    status: 403,
    title: "The operator's role does not allow this",
    titleZh: '该运营人员的角色无权执行此操作',
  },
  OPERATOR_EXISTS: { status: 409, title: 'An operator with this name exists', titleZh: '该运营账号已存在' },
  OPERATOR_NOT_FOUND: { status: 404, title: 'No such operator', titleZh: '运营账号不存在' },
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
  SESSION_TOO_NEW_TO_END_OTHERS: {
    status: 403,
    title:
      'A session this new cannot sign out sessions that began before it; try again later from this one, or now from an older one',
    titleZh: '新登录的会话暂时不能让更早登录的会话退出；请稍后再试，或在更早登录的设备上操作',
  },
  WEAK_PASSWORD: { status: 400, title: 'The password is too weak', titleZh: '密码强度不足' },
  KEY_NOT_FOUND: { status: 404, title: 'No such API key', titleZh: 'API 密钥不存在' },
  // sign-in steps, second factors, passkeys, QR login (issue 12)
  SIGNIN_SECOND_FACTOR_REQUIRED: {
    status: 401,
    title: 'The password was right; finish signing in with a second factor',
    titleZh: '密码正确；请使用第二重验证完成登录',
  },
  SIGNIN_CHALLENGE_INVALID: {
    status: 401,
    title: 'This sign-in step is unknown, expired or already used; sign in again',
    titleZh: '此登录步骤不存在、已过期或已使用，请重新登录',
  },
  SECOND_FACTOR_INVALID: {
    status: 401,
    title: 'The code or key did not verify',
    titleZh: '验证码或密钥验证未通过',
  },
  TOTP_NOT_ENROLLED: {
    status: 404,
    title: 'No authenticator app is set up (or none is waiting for confirmation)',
    titleZh: '尚未设置身份验证器应用（或没有待确认的设置）',
  },
  TOTP_ALREADY_ENROLLED: {
    status: 409,
    title: 'An authenticator app is already set up; remove it first',
    titleZh: '已设置身份验证器应用，请先移除',
  },
  PASSKEY_NOT_FOUND: { status: 404, title: 'No such passkey', titleZh: '通行密钥不存在' },
  PASSKEY_INVALID: {
    status: 401,
    title: 'The passkey response did not verify',
    titleZh: '通行密钥验证未通过',
  },
  SESSION_ON_PROBATION: {
    status: 403,
    title:
      'This session began with a cross-device approval from far away; it cannot change credentials, recovery or apps until it is confirmed',
    titleZh: '此会话来自异地扫码确认，确认前不能修改凭据、找回方式或授权应用',
  },
  SIGNIN_RISK_DENIED: {
    status: 403,
    title: 'This sign-in looks like credential stuffing; use a device or network you signed in from before',
    titleZh: '此次登录疑似撞库；请在以前登录过的设备或网络上登录',
  },
  SESSION_REFRESH_REQUIRED: {
    status: 401,
    title: 'This device-bound session must prove its device key again',
    titleZh: '此会话已绑定设备，需要重新用设备密钥证明',
  },
  SESSION_BINDING_INVALID: {
    status: 401,
    title: 'The device key proof is missing, used or wrong',
    titleZh: '设备密钥证明缺失、已使用或错误',
  },
  QR_CODE_UNKNOWN: {
    status: 404,
    title: 'This is not a login code of this platform',
    titleZh: '这不是本平台的登录二维码',
  },
  QR_CODE_EXPIRED: { status: 410, title: 'This login code has expired', titleZh: '此登录二维码已过期' },
  QR_CODE_USED: {
    status: 409,
    title: 'This login code was already approved, declined or used',
    titleZh: '此登录二维码已被确认、拒绝或使用',
  },
  QR_CODE_PENDING: {
    status: 409,
    title: 'This login has not been approved yet',
    titleZh: '此登录尚未被确认',
  },
  QR_CODE_DECLINED: { status: 403, title: 'This login was declined', titleZh: '此登录已被拒绝' },
  QR_CODE_MISMATCH: {
    status: 403,
    title: 'The proof does not match the key this login code was issued to',
    titleZh: '证明与此登录二维码绑定的密钥不符',
  },
  QR_ORIGIN_FOREIGN: {
    status: 403,
    title: 'QR login may be started only from the platform’s own pages',
    titleZh: '扫码登录只能从本平台自己的页面发起',
  },
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
  REPORT_NOT_FOUND: {
    status: 404,
    title: 'No such reported text in the queue',
    titleZh: '审核队列中没有该举报文本',
  },
  REPORT_ALREADY_DECIDED: {
    status: 409,
    title: 'The reported text was already decided',
    titleZh: '该举报文本已审核',
  },
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
  IMAGE_TOO_MANY: {
    status: 413,
    title: 'Too many images with data in one request',
    titleZh: '单个请求中附带数据的图片过多',
  },
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
  WEBHOOK_TYPE_UNKNOWN: {
    status: 400,
    title: 'No such webhook type; the answer lists the valid ones',
    titleZh: '没有这种 Webhook 类型；响应中列出了有效类型',
  },
  WEBHOOK_PAYLOAD_INVALID: {
    status: 500,
    title: 'A webhook payload did not match its schema and was not sent',
    titleZh: 'Webhook 内容不符合其结构定义，未发送',
  },
  BUS_EVENT_INVALID: {
    status: 500,
    title: 'An internal event did not match its schema and was not recorded',
    titleZh: '内部事件不符合其结构定义，未被记录',
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
  TEXT_TOO_LONG: {
    status: 413,
    title: 'The message text is longer than Gatehouse scores (1 MiB of UTF-8)',
    titleZh: '消息文本超过可评分的上限（UTF-8 1 MiB）',
  },
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
  // account control
  REAUTH_REQUIRED: {
    status: 403,
    title: 'Confirm your password again before changing how the account is recovered',
    titleZh: '修改账号找回方式前，请再次输入密码确认',
  },
  CHALLENGE_SESSION_TOO_NEW: {
    status: 403,
    title:
      'Answer from a session you had before the activity in question, or step up with a recovery code first',
    titleZh: '请在该活动发生之前就已登录的会话中回答，或先用恢复码进行加强验证',
  },
  RECOVERY_NOT_VERIFIED: {
    status: 403,
    title: 'Only a verified appeal can see this; verify first',
    titleZh: '只有通过验证的申诉才能查看此内容，请先完成验证',
  },
  RECOVERY_CASE_SUPERSEDED: {
    status: 409,
    title: 'The account is no longer in the freeze this appeal was opened for; the appeal is closed',
    titleZh: '账号已不处于本次申诉所针对的冻结状态，申诉已关闭',
  },
  RECOVERY_WAITING: {
    status: 409,
    title: 'Confirmation by friends alone completes after a waiting period; verify another way to go on now',
    titleZh: '仅由好友确认的申诉需等待一段时间才能继续；如需立即继续，请再用其他方式验证',
  },
  RECOVERY_APPEAL_NOT_FOUND: {
    status: 404,
    title: 'No such appeal in the queue',
    titleZh: '队列中没有该申诉',
  },
  RECOVERY_APPEAL_RECENTLY_DENIED: {
    status: 429,
    title: 'An appeal of this freeze was denied recently; you can appeal again later',
    titleZh: '本次冻结的申诉刚被驳回，请稍后再申诉',
  },
  RECOVERY_CHANGE_NOT_FOUND: {
    status: 404,
    title: 'No such change to recovery settings, or the link has expired',
    titleZh: '没有该找回设置变更，或链接已失效',
  },
  WEBHOOK_TARGET_REFUSED: {
    status: 400,
    title: 'The webhook URL points to an address Gatehouse does not deliver to',
    titleZh: 'Webhook 地址指向 Gatehouse 不允许投递的地址',
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
  // notify
  NOTIFY_LINK_INVALID: {
    status: 404,
    title: 'This security link is not valid',
    titleZh: '此安全链接无效',
  },
  NOTIFY_LINK_USED: {
    status: 410,
    title: 'This security link was already used',
    titleZh: '此安全链接已被使用过',
  },
  NOTIFY_LINK_EXPIRED: {
    status: 410,
    title: 'This security link has expired',
    titleZh: '此安全链接已过期',
  },
  NOTIFY_CHANNEL_UNAVAILABLE: {
    status: 503,
    title: 'This notification channel is not configured',
    titleZh: '未配置此通知渠道',
  },
  NOTIFY_SEND_FAILED: {
    status: 502,
    title: 'The message could not be sent',
    titleZh: '消息发送失败',
  },
  // oauth (third-party apps)
  APP_NOT_FOUND: { status: 404, title: 'No such app', titleZh: '应用不存在' },
  APP_INVALID: { status: 400, title: 'The app registration is invalid', titleZh: '应用注册信息无效' },
  APP_ALREADY_IN_STATE: {
    status: 409,
    title: 'The app is already in that state',
    titleZh: '应用已处于该状态',
  },
  APP_NOT_AUTHORISED: { status: 404, title: 'You have not authorised this app', titleZh: '你未授权过该应用' },
  OAUTH_TOKEN_INVALID: {
    status: 401,
    title: 'The access token is missing, invalid, expired or revoked',
    titleZh: '访问令牌缺失、无效、过期或已被撤销',
  },
  OAUTH_DPOP_INVALID: {
    status: 401,
    title: 'The DPoP proof is missing or invalid for this token and request',
    titleZh: 'DPoP 证明缺失，或与该令牌和请求不符',
  },
  OAUTH_SCOPE_INSUFFICIENT: {
    status: 403,
    title: 'The access token does not grant this data',
    titleZh: '访问令牌未获授权读取这些数据',
  },
  OAUTH_INTERACTION_INVALID: {
    status: 400,
    title: 'The sign-in or consent step is unknown, expired or already finished',
    titleZh: '登录或授权步骤不存在、已过期或已完成',
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
