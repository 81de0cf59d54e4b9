import ipaddr from 'ipaddr.js';
import { distanceKm, type GeoPlace } from '../geo/geo.ts';
import { canonicalIp } from '../network.ts';

/**
 * Pure pieces of the QR login: proximity of the two ends, the named relay signals and the words of the
 * approval screen (English and Chinese). No I/O.
 */

export interface Bilingual {
  en: string;
  zh: string;
}

/**
 * The proximity block of an address: IPv4 /24, IPv6 /48 (a home, office or mobile cell). Wider than the
 * /64 sign-in counters use: a phone on mobile data and a laptop on the home line of one carrier rarely
 * share it, but two devices in one home do.
 */
export function proximityBlock(ip: string): string {
  const c = canonicalIp(ip);
  if (!c) return `raw:${ip.slice(0, 64)}`;
  const a = ipaddr.parse(c);
  if (a.kind() === 'ipv4') {
    const b = (a as ipaddr.IPv4).octets;
    return `${b[0]}.${b[1]}.${b[2]}.0/24`;
  }
  const p = (a as ipaddr.IPv6).parts;
  return `${new ipaddr.IPv6([p[0]!, p[1]!, p[2]!, 0, 0, 0, 0, 0]).toString()}/48`;
}

export interface RelaySignal {
  name: 'qr_network_mismatch' | 'qr_mint_burst' | 'qr_hosting_asn';
  value: number;
  reason: Bilingual;
}

/**
 * The relay signals of an approval: what makes it "mismatched" (the session goes on probation). The two
 * ends are near when they share a /24 (/48), or — with the operator's GeoIP databases — an ASN and a city.
 */
export function relaySignals(r: {
  requesterIp: string;
  approverIp: string;
  mintedFromNetwork: number;
  burstAbove: number;
  requester?: GeoPlace | undefined;
  approver?: GeoPlace | undefined;
  hostingAsns?: readonly number[];
}): {
  sameNetwork: boolean;
  near: boolean;
  km: number | undefined;
  signals: RelaySignal[];
  mismatch: boolean;
} {
  const sameNetwork = proximityBlock(r.requesterIp) === proximityBlock(r.approverIp);
  const q = r.requester;
  const a = r.approver;
  const sameAsnAndCity =
    q?.asn !== undefined && q.asn === a?.asn && q.cityId !== undefined && q.cityId === a?.cityId;
  const near = sameNetwork || sameAsnAndCity;
  const km = distanceKm(q, a);
  const signals: RelaySignal[] = [];
  if (!near)
    signals.push({
      name: 'qr_network_mismatch',
      value: km === undefined ? 1 : Math.round(km),
      reason:
        km === undefined
          ? {
              en: 'The device asking to sign in is on a different network from this phone',
              zh: '请求登录的设备与本手机不在同一网络',
            }
          : {
              en: `The device asking to sign in is on a different network, about ${Math.round(km)} km from this phone`,
              zh: `请求登录的设备与本手机不在同一网络，相距约 ${Math.round(km)} 公里`,
            },
    });
  if (q?.asn !== undefined && r.hostingAsns?.includes(q.asn))
    signals.push({
      name: 'qr_hosting_asn',
      value: q.asn,
      reason: {
        en: `The device asking to sign in is in a data centre or VPN (AS${q.asn}${q.asOrg ? ` ${q.asOrg}` : ''}), not in someone's hands`,
        zh: `请求登录的设备位于机房或 VPN（AS${q.asn}${q.asOrg ? ` ${q.asOrg}` : ''}），而不是某人手中的设备`,
      },
    });
  if (r.mintedFromNetwork > r.burstAbove)
    signals.push({
      name: 'qr_mint_burst',
      value: r.mintedFromNetwork,
      reason: {
        en: `The network asking to sign in requested ${r.mintedFromNetwork} login codes in the last 10 minutes`,
        zh: `请求登录的网络在过去 10 分钟内申请了 ${r.mintedFromNetwork} 个登录二维码`,
      },
    });
  return { sameNetwork, near, km, signals, mismatch: signals.length > 0 };
}

export const QR_TEXT = {
  question: {
    en: 'Did you start this on a device in front of you? If someone sent you this code or a web page asked you to scan it, decline.',
    zh: '这是你在身边的设备上发起的吗？如果是别人发给你的二维码，或某个网页要求你扫码，请拒绝。',
  },
  grants: {
    en: 'Approving signs that device in to your account: it can read and send your messages, see your friends and groups, and stay signed in until you sign it out.',
    zh: '确认后，该设备将登录你的账号：可以读取和发送你的消息、查看你的好友和群，并一直保持登录，直到你将其退出。',
  },
  probation: {
    en: 'Because the two devices do not look near each other, the new session will be limited for 24 hours: it cannot change your password or security settings, authorise apps, or message anyone but your friends.',
    zh: '由于两台设备看起来不在一起，新会话在 24 小时内将受到限制：不能修改密码或安全设置、不能授权应用，也只能给好友发消息。',
  },
  sameNetwork: { en: 'On the same network as this phone', zh: '与本手机在同一网络' },
  nearby: { en: 'On the same provider in the same city as this phone', zh: '与本手机在同一城市、同一运营商' },
  otherNetwork: { en: 'On a different network from this phone', zh: '与本手机不在同一网络' },
  unknownLocation: { en: 'Location unknown', zh: '位置未知' },
} as const satisfies Record<string, Bilingual>;
