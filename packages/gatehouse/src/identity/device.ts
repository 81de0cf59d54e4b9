import { UAParser } from 'ua-parser-js';
import type { Device } from '@gatehouse/sdk';

const MAX_UA = 512;

const cache = new Map<string, Device>();
const CACHE_MAX = 2000;

/** Parses a User-Agent into the device shown in session lists ("Chrome 126 on Windows"). Memoised. */
export function parseDevice(userAgent: string | undefined): Device {
  const ua = (userAgent ?? '').slice(0, MAX_UA);
  if (!ua) return { label: 'unknown device' };
  let d = cache.get(ua);
  if (!d) {
    d = parse(ua);
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(ua, d);
  }
  return d;
}

function parse(ua: string): Device {
  const r = UAParser(ua);
  const browser = r.browser.name
    ? `${r.browser.name}${r.browser.major ? ` ${r.browser.major}` : ''}`
    : undefined;
  const os = r.os.name ? `${r.os.name}${r.os.version ? ` ${r.os.version}` : ''}` : undefined;
  const deviceType = r.device.type ?? (os && /android|ios/i.test(os) ? 'mobile' : os ? 'desktop' : undefined);
  const label = browser && os ? `${browser} on ${os}` : (browser ?? os ?? ua.slice(0, 64));
  return {
    label,
    ...(browser ? { browser } : {}),
    ...(os ? { os } : {}),
    ...(deviceType ? { deviceType } : {}),
  };
}
