/**
 * Built-in lists, written for Gatehouse: URL shorteners, free hosting / tunnels / cloud storage, dynamic
 * DNS, and the dictionary words that phishing domains glue to a brand. Entries are registered domains or
 * suffixes; a host matches when it equals an entry or ends with "." + entry.
 */

export const SHORTENERS: readonly string[] = [
  'bit.ly', 'bitly.com', 'bit.do', 'tinyurl.com', 'goo.gl', 'ow.ly', 'is.gd', 'v.gd', 'buff.ly',
  'rebrand.ly', 'cutt.ly', 'shorturl.at', 'tiny.cc', 'rb.gy', 't.ly', 's.id', 't.co', 'lnkd.in',
  'dlvr.it', 'clck.ru', 'adf.ly', 'shorte.st', 'ouo.io', 'bl.ink', 'qrco.de', 'tiny.one', 'shorturl.asia',
  'u.to', 'x.co', 'soo.gd', 'short.gy',
  // China
  't.cn', 'url.cn', 'dwz.cn', 'suo.im', 'mrw.so', 'tb.cn', 'b23.tv', 'xhslink.com', 'sina.lt', 'dwz.mk',
];

export type HostingKind = 'free-hosting' | 'tunnel' | 'cloud-storage' | 'free-tld' | 'dynamic-dns';

export const HOSTING: ReadonlyArray<readonly [string, HostingKind]> = [
  // free web hosting and app platforms
  ...(
    [
      'github.io', 'gitlab.io', 'gitee.io', 'pages.dev', 'workers.dev', 'netlify.app', 'vercel.app',
      'herokuapp.com', 'firebaseapp.com', 'web.app', 'glitch.me', 'repl.co', 'replit.dev', 'replit.app',
      '000webhostapp.com', 'weebly.com', 'wixsite.com', 'blogspot.com', 'wordpress.com', 'azurewebsites.net',
      'appspot.com', 'onrender.com', 'fly.dev', 'surge.sh', 'neocities.org', 'webflow.io', 'framer.website',
      'notion.site', 'square.site', 'godaddysites.com', 'mystrikingly.com', 'carrd.co', 'sites.google.com',
      'forms.gle', 'ipfs.io', 'w3s.link', 'dweb.link', 'translate.goog',
    ] as const
  ).map((d) => [d, 'free-hosting'] as const),
  // tunnels that put a laptop on the internet
  ...(
    [
      'ngrok.io', 'ngrok.app', 'ngrok-free.app', 'ngrok.dev', 'trycloudflare.com', 'loca.lt', 'serveo.net',
      'localhost.run', 'lhr.life', 'cpolar.cn', 'cpolar.top', 'natapp.cc', 'natappfree.cc',
    ] as const
  ).map((d) => [d, 'tunnel'] as const),
  // object storage buckets served as web pages
  ...(
    [
      'aliyuncs.com', 'myqcloud.com', 'r2.dev', 'blob.core.windows.net', 'web.core.windows.net',
      'storage.googleapis.com', 's3.amazonaws.com', 'amazonaws.com', 'cloudfront.net', 'bcebos.com',
      'myhuaweicloud.com', 'qiniucdn.com', 'clouddn.com',
    ] as const
  ).map((d) => [d, 'cloud-storage'] as const),
  // top-level domains once given away for free and still heavily abused
  ...(['tk', 'ml', 'ga', 'cf', 'gq'] as const).map((d) => [d, 'free-tld'] as const),
  // dynamic DNS
  ...(
    [
      'duckdns.org', 'ddns.net', 'hopto.org', 'zapto.org', 'sytes.net', 'no-ip.org', 'no-ip.biz', 'no-ip.info',
      'myftp.org', 'serveftp.com', 'servebeer.com', 'redirectme.net', 'dyndns.org', 'dynu.net', 'mooo.com',
      'us.to', 'chickenkiller.com', '3322.org', 'f3322.net', 'oicp.net', 'oicp.io', 'vicp.net', 'changeip.com',
      'dynv6.net', 'freeddns.org', 'dnsalias.com', 'homeip.net', 'myds.me', 'synology.me', 'ddnsfree.com',
    ] as const
  ).map((d) => [d, 'dynamic-dns'] as const),
];

/**
 * Words glued to a brand in combosquatting and dictionary domains ("qq-login", "steamgift",
 * "discord-nitro-free"), English and pinyin. Used to tell a brand plus a word from an innocent name.
 */
export const DICTIONARY: readonly string[] = [
  'login', 'log', 'signin', 'sign', 'signup', 'secure', 'security', 'safe', 'safety', 'account', 'accounts',
  'acc', 'verify', 'verification', 'validate', 'update', 'support', 'help', 'helpdesk', 'service', 'services',
  'official', 'online', 'web', 'app', 'apps', 'mobile', 'pay', 'payment', 'payments', 'wallet', 'gift',
  'gifts', 'free', 'bonus', 'promo', 'reward', 'rewards', 'prize', 'prizes', 'event', 'events', 'game',
  'games', 'gaming', 'nitro', 'store', 'shop', 'mall', 'auth', 'oauth', 'sso', 'id', 'my', 'cn', 'vip',
  'center', 'centre', 'portal', 'mail', 'admin', 'team', 'check', 'confirm', 'recovery', 'recover',
  'unlock', 'unfreeze', 'appeal', 'claim', 'get', 'download', 'dl', 'cdn', 'api', 'www', 'home', 'user',
  'member', 'members', 'activity', 'card', 'cash', 'coin', 'coins', 'skin', 'skins', 'trade', 'trading',
  'market', 'community', 'qr', 'qrcode', 'scan', 'code', 'link', 'share', 'lucky', 'refund', 'topup',
  'recharge', 'billing', 'invoice', 'notice', 'alert', 'giveaway', 'drop', 'drops', 'airdrop', 'promotion',
  'boost', 'premium', 'plus', 'pro', 'gold', 'net', 'com', 'org', 'live', 'now', 'today', 'auth', 'token',
  'cloud', 'login2', 'steam', 'inc', 'corp', 'group', 'global', 'china', 'hk', 'tw', 'us', 'new', 'best',
  // pinyin
  'hongbao', 'denglu', 'zhanghao', 'anquan', 'yanzheng', 'lingqu', 'mianfei', 'guanfang', 'huodong',
  'chongzhi', 'tuikuan', 'kefu', 'jiedong', 'shensu', 'fuli', 'zhongjiang', 'youxi', 'saoma', 'jiang',
];

/** Labels that commonly stand for a TLD glued into the name ("discordcom.net", "paypal-com.xyz"). */
export const TLD_WORDS: readonly string[] = ['com', 'net', 'org', 'cn', 'gg', 'io', 'co', 'hk', 'tw', 'ru'];
