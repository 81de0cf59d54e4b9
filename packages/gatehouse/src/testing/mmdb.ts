/**
 * Test-only: writes small MaxMind DB (MMDB v2) files, so tests of GeoIP-based defences run on a database
 * they made themselves (IPv4 only, 24-bit records). Supports the data types GeoIP2 City and ASN records
 * use: maps, arrays, UTF-8 strings, unsigned integers, doubles and booleans. Never imported by production
 * code.
 */

type Value = string | number | boolean | Value[] | { [k: string]: Value };

/** A double is written for non-integers and for keys named latitude/longitude; integers as uint32. */
const DOUBLE_KEYS = new Set(['latitude', 'longitude']);

function control(type: number, size: number): Buffer {
  const parts: number[] = [];
  let first: number;
  let extra: number[] = [];
  if (size < 29) first = size;
  else if (size < 29 + 256) {
    first = 29;
    extra = [size - 29];
  } else if (size < 285 + 65536) {
    first = 30;
    const v = size - 285;
    extra = [v >> 8, v & 0xff];
  } else {
    first = 31;
    const v = size - 65821;
    extra = [(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
  }
  if (type <= 7) parts.push((type << 5) | first);
  else parts.push(first, type - 7); // extended type: 0 in the top bits, then (type - 7)
  return Buffer.from([...parts, ...extra]);
}

function uint(type: number, n: number | bigint): Buffer {
  let v = BigInt(n);
  const bytes: number[] = [];
  while (v > 0n) {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  return Buffer.concat([control(type, bytes.length), Buffer.from(bytes)]);
}

function encode(v: Value, key?: string): Buffer {
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([control(2, b.length), b]);
  }
  if (typeof v === 'boolean') return control(14, v ? 1 : 0);
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || (key && DOUBLE_KEYS.has(key))) {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(v);
      return Buffer.concat([control(3, 8), b]);
    }
    return uint(6, v);
  }
  if (Array.isArray(v)) return Buffer.concat([control(11, v.length), ...v.map((x) => encode(x))]);
  const entries = Object.entries(v);
  return Buffer.concat([
    control(7, entries.length),
    ...entries.flatMap(([k, x]) => [encode(k), encode(x, k)]),
  ]);
}

interface TrieNode {
  kids: [TrieNode | Value | undefined, TrieNode | Value | undefined];
  id?: number;
}
const isNode = (x: unknown): x is TrieNode =>
  typeof x === 'object' && x !== null && 'kids' in (x as object) && Array.isArray((x as TrieNode).kids);

/** An MMDB file mapping IPv4 networks ("203.0.113.0/24") to records. */
export function writeMmdb(databaseType: string, networks: Array<[string, Record<string, Value>]>): Buffer {
  const root: TrieNode = { kids: [undefined, undefined] };
  for (const [cidr, record] of networks) {
    const [addr, lenText] = cidr.split('/');
    const len = Number(lenText);
    const bits = addr!.split('.').reduce((acc, o) => (acc << 8) | Number(o), 0) >>> 0;
    let node = root;
    for (let i = 0; i < len; i++) {
      const bit = (bits >>> (31 - i)) & 1;
      if (i === len - 1) node.kids[bit] = { ...record };
      else {
        let next = node.kids[bit];
        if (!isNode(next)) {
          next = { kids: [undefined, undefined] };
          node.kids[bit] = next;
        }
        node = next;
      }
    }
  }
  const nodes: TrieNode[] = [];
  const number = (n: TrieNode) => {
    n.id = nodes.length;
    nodes.push(n);
    for (const k of n.kids) if (isNode(k)) number(k);
  };
  number(root);
  const nodeCount = nodes.length;
  const data: Buffer[] = [];
  let dataLen = 0;
  const offsets = new Map<object, number>();
  const record = (k: TrieNode | Value | undefined): number => {
    if (k === undefined) return nodeCount;
    if (isNode(k)) return k.id!;
    let off = offsets.get(k as object);
    if (off === undefined) {
      off = dataLen;
      const b = encode(k);
      data.push(b);
      dataLen += b.length;
      offsets.set(k as object, off);
    }
    return nodeCount + 16 + off;
  };
  const tree = Buffer.alloc(nodeCount * 6);
  for (const n of nodes) {
    const [l, r] = [record(n.kids[0]), record(n.kids[1])];
    tree.writeUIntBE(l, n.id! * 6, 3);
    tree.writeUIntBE(r, n.id! * 6 + 3, 3);
  }
  const metadata = Buffer.concat([
    Buffer.from([0xab, 0xcd, 0xef]),
    Buffer.from('MaxMind.com'),
    encode({
      binary_format_major_version: 2,
      binary_format_minor_version: 0,
      build_epoch: Math.floor(Date.now() / 1000),
      database_type: databaseType,
      description: { en: 'Gatehouse test database' },
      ip_version: 4,
      languages: ['en', 'zh-CN'],
      node_count: nodeCount,
      record_size: 24,
    }),
  ]);
  return Buffer.concat([tree, Buffer.alloc(16), ...data, metadata]);
}
