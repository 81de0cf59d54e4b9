import { readFileSync } from 'node:fs';
import { Reader, type AsnResponse, type CityResponse } from 'maxmind';
import { GatehouseError } from '../../errors/index.ts';
import { canonicalIp } from '../network.ts';

/**
 * Where an address is, as far as the operator's MaxMind-format databases say (GeoIP2 / GeoLite2 City and
 * ASN, read with the `maxmind` package; Gatehouse ships none). Without them every place is unknown and
 * the defences fall back to network blocks.
 */

export interface GeoPlace {
  country?: string;
  /** GeoNames id of the city, and its names. */
  cityId?: number;
  city?: { en: string; zh: string };
  lat?: number;
  lon?: number;
  asn?: number;
  asOrg?: string;
}

export interface GeoLookup {
  lookup(ip: string): GeoPlace | undefined;
}

function open<T extends object>(path: string, what: string): Reader<T & { ip_address?: string }> {
  try {
    return new Reader<T & { ip_address?: string }>(readFileSync(path));
  } catch (e) {
    throw new GatehouseError('CONFIG_INVALID', `${what} ${path} cannot be read as a MaxMind database`, {
      cause: e,
    });
  }
}

/** The operator's databases (either may be absent). */
export class MaxMindGeo implements GeoLookup {
  private readonly city: Reader<CityResponse & { ip_address?: string }> | undefined;
  private readonly asn: Reader<AsnResponse> | undefined;
  constructor(files: { city?: string; asn?: string }) {
    this.city = files.city ? open<CityResponse>(files.city, 'geoipCityDatabase') : undefined;
    this.asn = files.asn ? open<AsnResponse>(files.asn, 'geoipAsnDatabase') : undefined;
  }

  lookup(ip: string): GeoPlace | undefined {
    const c = canonicalIp(ip);
    if (!c) return undefined;
    let out: GeoPlace | undefined;
    try {
      const city = this.city?.get(c);
      const asn = this.asn?.get(c);
      if (!city && !asn) return undefined;
      out = {};
      if (city?.country?.iso_code) out.country = city.country.iso_code;
      if (city?.city) {
        out.cityId = city.city.geoname_id;
        const names = city.city.names as unknown as Record<string, string | undefined>;
        const en = names.en ?? Object.values(names)[0] ?? '';
        out.city = { en, zh: names['zh-CN'] ?? en };
      }
      if (city?.location?.latitude !== undefined && city.location.longitude !== undefined) {
        out.lat = city.location.latitude;
        out.lon = city.location.longitude;
      }
      if (asn?.autonomous_system_number !== undefined) {
        out.asn = asn.autonomous_system_number;
        out.asOrg = asn.autonomous_system_organization;
      }
    } catch {
      return undefined; // an IPv6 address in an IPv4-only database, say: unknown
    }
    return out;
  }
}

/** Great-circle distance in km, when both places have coordinates. */
export function distanceKm(a: GeoPlace | undefined, b: GeoPlace | undefined): number | undefined {
  if (a?.lat === undefined || a.lon === undefined || b?.lat === undefined || b.lon === undefined)
    return undefined;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** "Shanghai, CN" / "上海, CN", or undefined when nothing is known. */
export function placeName(p: GeoPlace | undefined): { en: string; zh: string } | undefined {
  if (!p || (!p.city && !p.country)) return undefined;
  const tail = p.country ? `, ${p.country}` : '';
  return p.city
    ? { en: `${p.city.en}${tail}`, zh: `${p.city.zh}${tail}` }
    : { en: p.country!, zh: p.country! };
}
