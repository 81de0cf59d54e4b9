/**
 * Images sent with messages (`attachments[].data`) are read on arrival, before the engine sees the
 * message: the QR code in each is decoded into `attachments[].qr` and the image bytes are dropped,
 * so neither the event log nor the check log ever holds an image.
 */
import { MAX_ATTACHMENT_IMAGE_BYTES, MAX_QR_PAYLOADS } from '@gatehouse/sdk';
import { GatehouseError } from '../../errors/index.ts';
import { decodeQr } from './decode.ts';

/** At most this many images are decoded per request (a batch of events, or one check). */
export const MAX_IMAGES_PER_REQUEST = 64;

type Decode = (bytes: Uint8Array) => Promise<string | undefined>;

export interface ReadImagesOptions {
  /** Rewrites a QR text before it is kept (a live login code becomes its URL prefix). */
  redact?: (text: string) => string;
  decode?: Decode;
}

/**
 * Replaces `data` by the decoded QR text on every attachment of every message in `items` (objects
 * as received; anything malformed is left for the event validation to refuse). An image that cannot
 * be decoded fails the request with the image part's typed error, naming the item (`index`). Every
 * QR text (decoded here, or sent by the platform) goes through `redact`.
 */
export async function readAttachmentImages(
  items: readonly unknown[],
  opts: ReadImagesOptions = {},
): Promise<number> {
  const decode = opts.decode ?? ((b: Uint8Array) => decodeQr(b, { maxBytes: MAX_ATTACHMENT_IMAGE_BYTES }));
  const redact = opts.redact ?? ((t: string) => t);
  let images = 0;
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    if (typeof it !== 'object' || it === null) continue;
    const atts = (it as { attachments?: unknown }).attachments;
    if (!Array.isArray(atts)) continue;
    for (const a of atts) {
      if (typeof a !== 'object' || a === null) continue;
      const at = a as { data?: unknown; qr?: unknown };
      if (Array.isArray(at.qr)) at.qr = at.qr.map((q) => (typeof q === 'string' ? redact(q) : q));
      // not a base64 string: left for the event's validation (invalid_event)
      if (typeof at.data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(at.data)) continue;
      if (++images > MAX_IMAGES_PER_REQUEST)
        throw new GatehouseError(
          'IMAGE_TOO_MANY',
          `at most ${MAX_IMAGES_PER_REQUEST} images with data per request`,
          { extra: { index: i, max: MAX_IMAGES_PER_REQUEST } },
        );
      const bytes = Buffer.from(at.data, 'base64');
      let text: string | undefined;
      try {
        text = await decode(bytes);
      } catch (e) {
        if (e instanceof GatehouseError)
          throw new GatehouseError(e.code, `attachment of item ${i}: ${e.message}`, {
            cause: e,
            extra: { ...e.extra, index: i },
          });
        throw e;
      }
      delete at.data;
      if (text !== undefined) {
        text = redact(text);
        const qr = Array.isArray(at.qr) ? (at.qr as unknown[]) : [];
        if (!qr.includes(text) && qr.length < MAX_QR_PAYLOADS) qr.push(text);
        at.qr = qr;
      }
    }
  }
  return images;
}
