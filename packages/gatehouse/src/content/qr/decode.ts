/**
 * QR codes inside images: sharp (libvips) decodes the image to RGBA pixels, jsQR finds and reads
 * the code. The image limits of content/image (bytes, declared pixels, decode time) apply first, and
 * large images are shrunk so the longest side is at most QR_MAX_SIDE (a phone screenshot of a QR
 * code stays readable; the work stays bounded).
 */
import jsqr from 'jsqr';
import type { OutputInfo } from 'sharp';
import type { DecodeLimits } from '../image/decode.ts';
import { DEFAULT_LIMITS, imageErrorFrom, loadSharp, probeImage } from '../image/decode.ts';

// jsQR is a CommonJS bundle whose function is its `default` export (typed as the module's)
const jsQR = jsqr.default;

export const QR_MAX_SIDE = 1200;

/**
 * The text of the QR code in an encoded image (JPEG, PNG, GIF, WebP, AVIF, TIFF), or undefined when
 * it holds none. Throws the image part's typed errors (IMAGE_EMPTY, IMAGE_TOO_LARGE,
 * IMAGE_UNSUPPORTED, IMAGE_CORRUPT, IMAGE_TOO_MANY_PIXELS, IMAGE_DECODE_TIMEOUT) for bad input.
 */
export async function decodeQr(input: Uint8Array, l?: Partial<DecodeLimits>): Promise<string | undefined> {
  const limits = { ...DEFAULT_LIMITS, ...l };
  const info = await probeImage(input, limits);
  const sharp = await loadSharp();
  let raw: { data: Buffer; info: OutputInfo };
  try {
    let pipe = sharp(input, { limitInputPixels: limits.maxPixels, failOn: 'error', pages: 1 })
      .timeout({ seconds: Math.max(1, Math.ceil(limits.timeoutSeconds)) })
      .toColourspace('srgb')
      // a transparent PNG's code is drawn on nothing: put it on white as a viewer shows it
      .flatten({ background: '#ffffff' })
      .ensureAlpha();
    if (info.width > QR_MAX_SIDE || info.height > QR_MAX_SIDE)
      pipe = pipe.resize(QR_MAX_SIDE, QR_MAX_SIDE, { fit: 'inside', kernel: 'nearest' });
    raw = await pipe.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw imageErrorFrom(e);
  }
  const { width, height } = raw.info;
  const rgba = new Uint8ClampedArray(raw.data.buffer, raw.data.byteOffset, width * height * 4);
  // light-on-dark codes (a "dark mode" screenshot) are read too
  const code = jsQR(rgba, width, height, { inversionAttempts: 'attemptBoth' });
  return code && code.data.length > 0 ? code.data : undefined;
}
