/**
 * Compact binary model file (little-endian):
 *
 *   offset size  field
 *   0      4     magic "GHTM"
 *   4      2     format version (1)
 *   6      2     feature version (see features.ts)
 *   8      1     bits (feature space = 2^bits)
 *   9      1     flags (bit 0: per-weight FTRL n stored)
 *   10     2     reserved (0)
 *   12     8×5   alpha, beta, l1, l2, threshold (float64)
 *   52     4×4   epochs, seed, examples, non-zero count (uint32)
 *   68     2     number of sources S (uint16), then S × (uint8 length + UTF-8 name)
 *   …      …     per non-zero weight, in slot order: slot delta (LEB128 varint), weight (float32),
 *                FTRL n (float32)
 *   end-4  4     FNV-1a 32 checksum of every byte before it
 *
 * Only non-zero weights are stored (L1 keeps them few). On load, the FTRL z accumulator of each
 * stored weight is rebuilt from the weight and n, so online learning continues where it stopped;
 * the accumulators of zero-weight slots are not kept (they restart from zero).
 */
import { GatehouseError } from '../../errors/index.ts';
import { FEATURE_VERSION } from './features.ts';
import { createModel } from './model.ts';
import type { TextModel } from './model.ts';

const MAGIC = 0x4d544847; // "GHTM" read as little-endian uint32
export const FORMAT_VERSION = 1;
const HEADER = 68;

function fnv1a(bytes: Uint8Array, end: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/** Serialises a model to bytes (deterministic: same model → same bytes). */
export function saveModel(model: TextModel): Uint8Array {
  let nnz = 0;
  for (let i = 0; i < model.w.length; i++) if (model.w[i] !== 0) nnz++;
  const names = model.sources.map((n) => new TextEncoder().encode(n).subarray(0, 255));
  const namesLen = 2 + names.reduce((s, n) => s + 1 + n.length, 0);
  const buf = new Uint8Array(HEADER + namesLen + nnz * 13 + 4);
  const dv = new DataView(buf.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint16(4, FORMAT_VERSION, true);
  dv.setUint16(6, model.featureVersion, true);
  dv.setUint8(8, model.bits);
  dv.setUint8(9, 1);
  dv.setUint16(10, 0, true);
  const p = model.params;
  [p.alpha, p.beta, p.l1, p.l2, model.threshold].forEach((v, i) => dv.setFloat64(12 + i * 8, v, true));
  dv.setUint32(52, model.meta.epochs >>> 0, true);
  dv.setUint32(56, model.meta.seed >>> 0, true);
  dv.setUint32(60, model.meta.examples >>> 0, true);
  dv.setUint32(64, nnz, true);
  let o = HEADER;
  dv.setUint16(o, names.length, true);
  o += 2;
  for (const n of names) {
    buf[o++] = n.length;
    buf.set(n, o);
    o += n.length;
  }
  let last = 0;
  for (let i = 0; i < model.w.length; i++) {
    const w = model.w[i]!;
    if (w === 0) continue;
    let d = i - last;
    last = i;
    while (d >= 0x80) {
      buf[o++] = (d & 0x7f) | 0x80;
      d >>>= 7;
    }
    buf[o++] = d;
    dv.setFloat32(o, w, true);
    dv.setFloat32(o + 4, model.n[i]!, true);
    o += 8;
  }
  dv.setUint32(o, fnv1a(buf, o), true);
  return buf.slice(0, o + 4);
}

function bad(detail: string): GatehouseError {
  return new GatehouseError('TEXT_MODEL_INVALID', `text model file: ${detail}`);
}

/**
 * The stored weights into `w`; returns the offset after them and each weight's slot and FTRL n, from
 * which `deferAccumulators` builds z and n. A function of its own: the optimising compiler compiled the
 * whole of `loadModel` for this loop (~50 ms of CPU at every server start); this small loop compiles in a
 * fraction of that.
 */
function readWeights(
  bytes: Uint8Array,
  dv: DataView,
  start: number,
  end: number,
  nnz: number,
  W: Float32Array,
): { end: number; slots: Uint32Array; ns: Float32Array } {
  const size = W.length;
  const slots = new Uint32Array(nnz);
  const ns = new Float32Array(nnz);
  let o = start;
  let slot = 0;
  for (let k = 0; k < nnz; k++) {
    let d = 0;
    let shift = 0;
    for (;;) {
      if (o >= end) throw bad('truncated weights');
      const byte = bytes[o++]!;
      d += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (byte < 0x80) break;
      if (shift > 28) throw bad('bad varint');
    }
    slot += d;
    if (slot >= size || o + 8 > end) throw bad('weight slot out of range');
    const w = dv.getFloat32(o, true);
    const n = dv.getFloat32(o + 4, true);
    o += 8;
    if (!Number.isFinite(w) || !(n >= 0)) throw bad('non-finite weight');
    W[slot] = w;
    slots[k] = slot;
    ns[k] = n;
  }
  return { end: o, slots, ns };
}

/**
 * A loaded model's FTRL accumulators (z and n, 16 MiB at 2^20 slots) are built when first read — by
 * online learning (`updateVector`) or a save — not at load: scoring reads only `w`, and writing 16 MiB of
 * fresh pages cost ~60 ms of CPU at every server start, and that memory in every process that only scores.
 * z is rebuilt from each stored weight and n so that the FTRL weight formula gives the weight back.
 */
function deferAccumulators(model: TextModel, slots: Uint32Array, ns: Float32Array): void {
  const settle = (key: 'z' | 'n', value: Float64Array) =>
    Object.defineProperty(model, key, { value, writable: true, enumerable: true, configurable: true });
  const build = () => {
    const size = model.w.length;
    const z = new Float64Array(size);
    const n = new Float64Array(size);
    const { l1, beta, alpha, l2 } = model.params;
    const W = model.w;
    for (let k = 0; k < slots.length; k++) {
      const s = slots[k]!;
      const w = W[s]!;
      const nk = ns[k]!;
      n[s] = nk;
      z[s] = w === 0 ? 0 : -Math.sign(w) * l1 - w * ((beta + Math.sqrt(nk)) / alpha + l2);
    }
    settle('z', z);
    settle('n', n);
  };
  for (const key of ['z', 'n'] as const)
    Object.defineProperty(model, key, {
      get() {
        build();
        return model[key];
      },
      set(value: Float64Array) {
        build();
        settle(key, value);
      },
      enumerable: true,
      configurable: true,
    });
}

/** Reads a model from bytes; throws GatehouseError TEXT_MODEL_INVALID on any inconsistency. */
export function loadModel(bytes: Uint8Array): TextModel {
  if (bytes.length < HEADER + 4) throw bad('too short');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) throw bad('not a Gatehouse text model (bad magic)');
  const version = dv.getUint16(4, true);
  if (version !== FORMAT_VERSION) throw bad(`unsupported format version ${version}`);
  const featureVersion = dv.getUint16(6, true);
  if (featureVersion !== FEATURE_VERSION)
    throw bad(`feature version ${featureVersion} does not match this build (${FEATURE_VERSION}); retrain`);
  const bits = dv.getUint8(8);
  if (bits < 10 || bits > 24) throw bad(`bits ${bits} out of range`);
  const end = bytes.length - 4;
  if (dv.getUint32(end, true) !== fnv1a(bytes, end)) throw bad('checksum mismatch (file damaged)');
  const f = (i: number) => dv.getFloat64(12 + i * 8, true);
  const model = createModel({
    bits,
    params: { alpha: f(0), beta: f(1), l1: f(2), l2: f(3) },
    threshold: f(4),
    accumulators: false,
  });
  if (!(model.threshold > 0 && model.threshold < 1)) throw bad('threshold out of range');
  model.meta = {
    epochs: dv.getUint32(52, true),
    seed: dv.getUint32(56, true),
    examples: dv.getUint32(60, true),
    updates: 0,
  };
  const nnz = dv.getUint32(64, true);
  let o = HEADER;
  if (o + 2 > end) throw bad('truncated source list');
  const count = dv.getUint16(o, true);
  o += 2;
  for (let i = 0; i < count; i++) {
    const len = bytes[o] ?? 0;
    if (o + 1 + len > end) throw bad('truncated source list');
    model.sources.push(new TextDecoder().decode(bytes.subarray(o + 1, o + 1 + len)));
    o += 1 + len;
  }
  const stored = readWeights(bytes, dv, o, end, nnz, model.w);
  o = stored.end;
  deferAccumulators(model, stored.slots, stored.ns);
  if (o !== end) throw bad('trailing bytes');
  return model;
}
