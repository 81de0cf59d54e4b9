import { GatehouseError } from '../../errors/index.ts';
import type { CounterStore } from '../../ratelimit/index.ts';
import type { Db } from '../../store/db.ts';
import { distanceKm, type GeoLookup } from '../geo/geo.ts';
import { secondFactorMethods } from '../mfa/second-factor.ts';
import { mfaStore as m } from '../mfa/store.ts';
import type { IdentityService } from '../service.ts';
import { networkOf } from '../network.ts';

/**
 * Risk before the session: a correct password from a device and network the account never used, while
 * the sign-in counters show credential stuffing, gets no session.
 *
 * - `stuffing_network`: failed attempts from this network (IPv4 /24, IPv6 /64) over every handle in the
 *   sign-in window — the network is trying many accounts' passwords;
 * - `stuffing_handle`: failed attempts on this handle from networks it never signed in from — a success
 *   after many failures elsewhere.
 *
 * - `impossible_travel` (with GeoIP): too far from the last sign-in too soon.
 *
 * An account with a second factor is asked for it anyway from an unknown context; one without is refused
 * (SIGNIN_RISK_DENIED, with the signals) and its owner can still sign in from a known device or network.
 * The counters are the sign-in guard's own (identity/limits.ts), read, never added to.
 */

export interface RiskSignal {
  name: 'stuffing_network' | 'stuffing_handle' | 'impossible_travel';
  value: number;
  threshold: number;
  en: string;
  zh: string;
}

export interface StuffingThresholds {
  networkFailures: number;
  handleFailures: number;
  windowMs: number;
}

export async function stuffingSignals(
  counters: CounterStore,
  a: { handleKey: string; ip: string },
  t: StuffingThresholds,
): Promise<RiskSignal[]> {
  const network = networkOf(a.ip);
  // this attempt is still counted (reserved) while it is judged: it is not a failure
  const [onNetwork, onHandle] = await Promise.all([
    counters.count(`signin|network|${network}`, t.windowMs),
    counters.count(`signin|unknown|${a.handleKey}`, t.windowMs),
  ]);
  const netFailures = Math.max(0, onNetwork - 1);
  const handleFailures = Math.max(0, onHandle - 1);
  const out: RiskSignal[] = [];
  if (netFailures >= t.networkFailures)
    out.push({
      name: 'stuffing_network',
      value: netFailures,
      threshold: t.networkFailures,
      en: `This network made ${netFailures} failed sign-ins to various accounts in the last minutes`,
      zh: `该网络最近对多个账号登录失败 ${netFailures} 次`,
    });
  if (handleFailures >= t.handleFailures)
    out.push({
      name: 'stuffing_handle',
      value: handleFailures,
      threshold: t.handleFailures,
      en: `This account had ${handleFailures} failed sign-ins from unfamiliar networks in the last minutes`,
      zh: `该账号最近在陌生网络登录失败 ${handleFailures} 次`,
    });
  return out;
}

/**
 * `impossible_travel`: the last successful sign-in was so far away (operator's GeoIP) so recently that
 * getting here would need more than `kmh` km/h (over 500 km only: GeoIP cities are approximate).
 */
export async function travelSignal(
  db: Db,
  geo: GeoLookup | undefined,
  a: { accountId: string; ip: string; now: number; kmh: number },
): Promise<RiskSignal[]> {
  if (!geo || a.kmh <= 0) return [];
  const last = await m.lastSuccessfulSignin(db, a.accountId);
  if (!last) return [];
  const km = distanceKm(geo.lookup(last.ip), geo.lookup(a.ip));
  if (km === undefined || km < 500) return [];
  const hours = Math.max(a.now - last.at, 60_000) / 3_600_000;
  const speed = Math.round(km / hours);
  if (speed <= a.kmh) return [];
  return [
    {
      name: 'impossible_travel',
      value: speed,
      threshold: a.kmh,
      en: `${Math.round(km)} km from the last sign-in ${Math.round(hours * 60)} minutes ago (${speed} km/h)`,
      zh: `距上次登录 ${Math.round(km)} 公里，仅相隔 ${Math.round(hours * 60)} 分钟（${speed} 公里/小时）`,
    },
  ];
}

export function riskDenied(signals: RiskSignal[]): GatehouseError {
  return signInRefused(
    signals,
    'This looks like credential stuffing: sign in from a device or network you used before, or add a second factor',
    '疑似撞库登录：请在以前用过的设备或网络上登录，或为账号添加第二重验证',
  );
}

/** 403 SIGNIN_RISK_DENIED carrying the named signals that refused the sign-in (values, thresholds, zh/en). */
export function signInRefused(
  signals: ReadonlyArray<{ name: string; value: number; threshold: number; en: string; zh: string }>,
  en: string,
  zh: string,
): GatehouseError {
  return new GatehouseError('SIGNIN_RISK_DENIED', en, {
    extra: {
      signals: signals.map((s) => ({
        name: s.name,
        value: s.value,
        threshold: s.threshold,
        en: s.en,
        zh: s.zh,
      })),
      zh,
    },
  });
}

/**
 * The signals against a right password from an unknown device and network; returned only when they
 * refuse it (with a second factor the sign-in's own step asks for it, so there is nothing to add).
 */
export async function riskBeforeSession(
  id: IdentityService,
  a: { accountId: string; handleKey: string; ip: string },
): Promise<RiskSignal[] | undefined> {
  const o = id.signinOpts;
  const risk = [
    ...(await stuffingSignals(
      id.counters,
      { handleKey: a.handleKey, ip: a.ip },
      {
        networkFailures: o.stuffingNetworkFailures,
        handleFailures: o.stuffingHandleFailures,
        windowMs: id.opts.loginWindowMs,
      },
    )),
    ...(await travelSignal(id.db, id.opts.geo, {
      accountId: a.accountId,
      ip: a.ip,
      now: id.now(),
      kmh: o.impossibleTravelKmh,
    })),
  ];
  if (risk.length === 0) return undefined;
  return (await secondFactorMethods(id, a.accountId)).length === 0 ? risk : undefined;
}
