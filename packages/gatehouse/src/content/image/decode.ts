/**
 * Image decoding for PDQ (the one module here that does I/O): sharp (libvips) decodes JPEG, PNG,
 * GIF (first frame), WebP, AVIF and TIFF. Limits are checked from the header before any pixel is
 * decoded, so a decompression bomb (huge declared size in a tiny file) is refused at once.
 */
import { open } from 'node:fs/promises';
import type { Metadata, default as Sharp } from 'sharp';
import { GatehouseError } from '../../errors/index.ts';
import type { PdqDihedral, PdqResult } from './pdq.ts';
import { lumaFromPixels, pdqDihedralFromLuma, pdqFromLuma } from './pdq.ts';

export interface DecodeLimits {
  /** Largest encoded input accepted, in bytes. */
  maxBytes: number;
  /** Largest width × height accepted (declared in the header). */
  maxPixels: number;
  /** Longest decode allowed, whole seconds (libvips stops the work). */
  timeoutSeconds: number;
}

export const DEFAULT_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxBytes: 20 * 1024 * 1024,
  maxPixels: 50_000_000,
  timeoutSeconds: 10,
});

/**
 * Images wider or taller than this are first shrunk by libvips (triangle filter, and JPEG
 * shrink-on-load) to fit in HASH_MAX_SIDE × HASH_MAX_SIDE. PDQ averages the image into 64 × 64
 * cells anyway (the reference Python hasher shrinks everything to 512); at 1024 each cell still
 * averages 16 × 16 pixels. This bounds time and memory, and on the reference images it lands
 * within 8 bits of all three reference implementations (at full resolution: up to 12).
 */
export const HASH_MAX_SIDE = 1024;
/**
 * The dihedral hashes are compared with hashes of rotated/flipped files hashed at full size
 * (the Java reference), and shrinking first costs a few bits of that agreement (12 instead of 8
 * on the reference images), so they shrink only images larger than this.
 */
export const DIHEDRAL_MAX_SIDE = 2048;

const FORMATS = new Set(['jpeg', 'png', 'gif', 'webp', 'avif', 'heif', 'tiff']);

export interface DecodedImage {
  /** Interleaved 8-bit sRGB pixels, 3 channels (alpha dropped). */
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
  /** Source format as detected from the bytes (jpeg, png, gif, webp, …). */
  format: string;
  /** Width × height of the original before any shrinking. */
  sourceWidth: number;
  sourceHeight: number;
}

export interface ImageInfo {
  width: number;
  height: number;
  format: string;
}

function limitsOf(l: Partial<DecodeLimits> | undefined): DecodeLimits {
  return { ...DEFAULT_LIMITS, ...l };
}

/** Maps a libvips / sharp failure to a typed image error. */
export function imageErrorFrom(e: unknown): GatehouseError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/unsupported image format|not a known file format|is not in a known format/i.test(msg)) {
    return new GatehouseError('IMAGE_UNSUPPORTED', 'not an image, or an unsupported image format', {
      cause: e,
    });
  }
  if (/pixel limit/i.test(msg)) return new GatehouseError('IMAGE_TOO_MANY_PIXELS', msg, { cause: e });
  if (/timeout/i.test(msg)) return new GatehouseError('IMAGE_DECODE_TIMEOUT', msg, { cause: e });
  return new GatehouseError('IMAGE_CORRUPT', `cannot decode the image: ${msg.split('\n')[0]}`, { cause: e });
}

function checkBytes(input: Uint8Array, limits: DecodeLimits): void {
  if (input.length === 0) throw new GatehouseError('IMAGE_EMPTY');
  if (input.length > limits.maxBytes) {
    throw new GatehouseError(
      'IMAGE_TOO_LARGE',
      `the image is ${input.length} bytes; the limit is ${limits.maxBytes}`,
      { extra: { bytes: input.length, maxBytes: limits.maxBytes } },
    );
  }
}

let sharpLib: Promise<typeof Sharp> | undefined;
/** sharp (libvips), loaded with the first image, not when the process starts. */
export function loadSharp(): Promise<typeof Sharp> {
  return (sharpLib ??= import('sharp').then((m) => {
    // one-shot decodes of distinct images: libvips' operation cache only holds memory
    m.default.cache(false);
    return m.default;
  }));
}

/** Reads the header only: format and declared size, with the byte and pixel limits enforced. */
export async function probeImage(input: Uint8Array, l?: Partial<DecodeLimits>): Promise<ImageInfo> {
  const limits = limitsOf(l);
  checkBytes(input, limits);
  const sharp = await loadSharp();
  let meta: Metadata;
  try {
    // limitInputPixels: false here so that our own, typed check below reports the size.
    meta = await sharp(input, { limitInputPixels: false, failOn: 'none' }).metadata();
  } catch (e) {
    throw imageErrorFrom(e);
  }
  const format = meta.format ?? '';
  if (!FORMATS.has(format) || !meta.width || !meta.height) {
    throw new GatehouseError('IMAGE_UNSUPPORTED', `unsupported image format "${format || 'unknown'}"`);
  }
  const pixels = meta.width * meta.height;
  if (pixels > limits.maxPixels) {
    throw new GatehouseError(
      'IMAGE_TOO_MANY_PIXELS',
      `the image declares ${meta.width}x${meta.height} (${pixels} pixels); the limit is ${limits.maxPixels}`,
      { extra: { width: meta.width, height: meta.height, maxPixels: limits.maxPixels } },
    );
  }
  return { width: meta.width, height: meta.height, format };
}

/**
 * Decodes an encoded image to 8-bit sRGB pixels, enforcing the limits; images wider or taller
 * than `maxSide` (default HASH_MAX_SIDE) are shrunk to fit.
 */
export async function decodeImage(
  input: Uint8Array,
  l?: Partial<DecodeLimits>,
  maxSide = HASH_MAX_SIDE,
): Promise<DecodedImage> {
  const limits = limitsOf(l);
  const info = await probeImage(input, limits);
  const sharp = await loadSharp();
  try {
    let pipe = sharp(input, { limitInputPixels: limits.maxPixels, failOn: 'error', pages: 1 })
      .timeout({ seconds: Math.max(1, Math.ceil(limits.timeoutSeconds)) })
      .toColourspace('srgb')
      .removeAlpha();
    if (info.width > maxSide || info.height > maxSide) {
      pipe = pipe.resize(maxSide, maxSide, { fit: 'inside', kernel: 'linear' });
    }
    const { data, info: out } = await pipe.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: out.width,
      height: out.height,
      channels: out.channels,
      format: info.format,
      sourceWidth: info.width,
      sourceHeight: info.height,
    };
  } catch (e) {
    throw imageErrorFrom(e);
  }
}

/** Reads a file, refusing one bigger than the byte limit before reading it. */
export async function readImageFile(path: string, l?: Partial<DecodeLimits>): Promise<Uint8Array> {
  const limits = limitsOf(l);
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new GatehouseError('IMAGE_UNREADABLE', `cannot open ${path}: ${code ?? String(e)}`, { cause: e });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new GatehouseError('IMAGE_UNREADABLE', `${path} is not a regular file`);
    if (st.size === 0) throw new GatehouseError('IMAGE_EMPTY', `${path} is empty (zero bytes)`);
    if (st.size > limits.maxBytes) {
      throw new GatehouseError(
        'IMAGE_TOO_LARGE',
        `${path} is ${st.size} bytes; the limit is ${limits.maxBytes}`,
        {
          extra: { bytes: st.size, maxBytes: limits.maxBytes },
        },
      );
    }
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const { bytesRead } = await fh.read(buf, off, st.size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return buf.subarray(0, off);
  } catch (e) {
    if (e instanceof GatehouseError) throw e;
    throw new GatehouseError('IMAGE_UNREADABLE', `cannot read ${path}: ${String(e)}`, { cause: e });
  } finally {
    await fh.close();
  }
}

export interface ImageHash extends PdqResult {
  width: number;
  height: number;
  format: string;
}

/** PDQ hash and quality of an encoded image. */
export async function pdqHashImage(input: Uint8Array, limits?: Partial<DecodeLimits>): Promise<ImageHash> {
  const img = await decodeImage(input, limits);
  const r = pdqFromLuma(lumaFromPixels(img.data, img.width, img.height, img.channels), img.width, img.height);
  return { ...r, width: img.sourceWidth, height: img.sourceHeight, format: img.format };
}

/** The eight dihedral PDQ hashes of an encoded image. */
export async function pdqDihedralImage(
  input: Uint8Array,
  limits?: Partial<DecodeLimits>,
): Promise<PdqDihedral> {
  const img = await decodeImage(input, limits, DIHEDRAL_MAX_SIDE);
  return pdqDihedralFromLuma(
    lumaFromPixels(img.data, img.width, img.height, img.channels),
    img.width,
    img.height,
  );
}

/** PDQ hash of an image file. */
export async function pdqHashFile(path: string, limits?: Partial<DecodeLimits>): Promise<ImageHash> {
  return pdqHashImage(await readImageFile(path, limits), limits);
}
