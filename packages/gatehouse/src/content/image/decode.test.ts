import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { isGatehouseError } from '../../errors/index.ts';
import {
  decodeImage,
  imageErrorFrom,
  pdqHashFile,
  pdqHashImage,
  probeImage,
  readImageFile,
} from './decode.ts';
import { hammingDistance } from './pdq.ts';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-image-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function code(c: string) {
  return (e: unknown) => isGatehouseError(e) && e.code === c;
}

/** A photo-like RGB test picture. */
function picture(w: number, h: number): Buffer {
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      px[o] = 128 + 100 * Math.sin(x / 17) * Math.cos(y / 23);
      px[o + 1] = 128 + 90 * Math.sin((x + y) / 31);
      px[o + 2] = Math.hypot(x - w / 3, y - h / 2) < w / 5 ? 230 : 40;
    }
  }
  return px;
}

const raw = { raw: { width: 240, height: 180, channels: 3 as const } };
const jpeg = await sharp(picture(240, 180), raw).jpeg({ quality: 90 }).toBuffer();

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td) >>> 0);
  return Buffer.concat([len, td, crc]);
}

/** A tiny PNG that declares width × height (a decompression bomb when both are huge). */
function pngDeclaring(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(1024))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The JPEG above with its frame header (SOF0) patched to declare 65,000 × 65,000. */
function jpegBomb(): Buffer {
  const b = Buffer.from(jpeg);
  for (let i = 2; i < b.length - 9;) {
    if (b[i] !== 0xff) break;
    const marker = b[i + 1]!;
    const len = b.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xc2) {
      b.writeUInt16BE(65000, i + 5);
      b.writeUInt16BE(65000, i + 7);
      return b;
    }
    i += 2 + len;
  }
  throw new Error('no SOF marker');
}

describe('decoding and bad input', { timeout: 30_000 }, () => {
  it('decodes JPEG, PNG, WebP and GIF to the same PDQ hash (within a few bits)', async () => {
    const ref = await pdqHashImage(jpeg);
    assert.equal(ref.format, 'jpeg');
    assert.equal(ref.width, 240);
    assert.ok(ref.quality >= 50);
    for (const fmt of ['png', 'webp', 'gif', 'tiff'] as const) {
      const buf = await sharp(picture(240, 180), raw).toFormat(fmt).toBuffer();
      const r = await pdqHashImage(buf);
      assert.equal(r.format, fmt);
      assert.ok(hammingDistance(r.hash, ref.hash) <= 24, `${fmt}: ${hammingDistance(r.hash, ref.hash)} bits`);
    }
    const grey = await sharp(picture(240, 180), raw).greyscale().png().toBuffer();
    const img = await decodeImage(grey);
    assert.equal(img.channels, 3);
    const alpha = await sharp(picture(240, 180), raw).ensureAlpha(0.5).png().toBuffer();
    assert.ok(hammingDistance((await pdqHashImage(alpha)).hash, ref.hash) <= 24);
  });

  it('zero bytes, truncated, corrupt and non-image input get typed errors', async () => {
    await assert.rejects(pdqHashImage(new Uint8Array(0)), code('IMAGE_EMPTY'));
    await assert.rejects(pdqHashImage(jpeg.subarray(0, jpeg.length >> 1)), code('IMAGE_CORRUPT'));
    await assert.rejects(pdqHashImage(jpeg.subarray(0, 200)), code('IMAGE_CORRUPT'));
    const garbage = Buffer.concat([jpeg.subarray(0, 4), Buffer.alloc(3000, 0x5a)]);
    await assert.rejects(pdqHashImage(garbage), (e) => isGatehouseError(e) && /^IMAGE_/.test(e.code));
    await assert.rejects(
      pdqHashImage(Buffer.from('hello, this is not an image\n')),
      code('IMAGE_UNSUPPORTED'),
    );
    await assert.rejects(pdqHashImage(Buffer.from('%PDF-1.4\n%âãÏÓ\n')), (e) => isGatehouseError(e));
    const pngBad = Buffer.from(
      await sharp(picture(64, 64), { raw: { width: 64, height: 64, channels: 3 } })
        .png()
        .toBuffer(),
    );
    pngBad.fill(0x11, 40, 200); // damaged compressed data
    await assert.rejects(pdqHashImage(pngBad), (e) => isGatehouseError(e) && /^IMAGE_/.test(e.code));
  });

  it('refuses decompression bombs from the header, before decoding', async () => {
    const png = pngDeclaring(100_000, 100_000);
    assert.ok(png.length < 2000);
    await assert.rejects(probeImage(png), code('IMAGE_TOO_MANY_PIXELS'));
    await assert.rejects(pdqHashImage(png), code('IMAGE_TOO_MANY_PIXELS'));
    await assert.rejects(pdqHashImage(jpegBomb()), code('IMAGE_TOO_MANY_PIXELS'));
    const gif = Buffer.from('GIF89a\xff\xff\xff\xff\x00\x00\x00;', 'latin1');
    await assert.rejects(pdqHashImage(gif), (e) => isGatehouseError(e) && /^IMAGE_/.test(e.code));
  });

  it('enforces the byte and pixel limits', async () => {
    await assert.rejects(pdqHashImage(jpeg, { maxBytes: 1000 }), code('IMAGE_TOO_LARGE'));
    await assert.rejects(pdqHashImage(jpeg, { maxPixels: 240 * 180 - 1 }), code('IMAGE_TOO_MANY_PIXELS'));
    const ok = await pdqHashImage(jpeg, { maxPixels: 240 * 180 });
    assert.equal(ok.height, 180);
  });

  it('maps libvips failures, including its decode timeout, to stable codes', () => {
    // libvips reports a killed decode as "timeout: N% complete" (sharp's timeout option)
    assert.equal(imageErrorFrom(new Error('timeout: 37% complete')).code, 'IMAGE_DECODE_TIMEOUT');
    assert.equal(
      imageErrorFrom(new Error('Input buffer contains unsupported image format')).code,
      'IMAGE_UNSUPPORTED',
    );
    assert.equal(imageErrorFrom(new Error('Input image exceeds pixel limit')).code, 'IMAGE_TOO_MANY_PIXELS');
    assert.equal(imageErrorFrom(new Error('VipsJpeg: premature end of JPEG image')).code, 'IMAGE_CORRUPT');
  });

  it('reads files with the same checks', async () => {
    const f = join(dir, 'a.jpg');
    writeFileSync(f, jpeg);
    const r = await pdqHashFile(f);
    assert.deepEqual(r.hash, (await pdqHashImage(jpeg)).hash);
    writeFileSync(join(dir, 'empty.jpg'), '');
    await assert.rejects(pdqHashFile(join(dir, 'empty.jpg')), code('IMAGE_EMPTY'));
    await assert.rejects(readImageFile(f, { maxBytes: 10 }), code('IMAGE_TOO_LARGE'));
    await assert.rejects(pdqHashFile(join(dir, 'missing.jpg')), code('IMAGE_UNREADABLE'));
    await assert.rejects(pdqHashFile(dir), code('IMAGE_UNREADABLE'));
  });

  it('large images are shrunk before hashing and still hash like the small version', async () => {
    const big = await sharp(picture(2400, 1800), { raw: { width: 2400, height: 1800, channels: 3 } })
      .jpeg()
      .toBuffer();
    const small = await sharp(big).resize(600, 450).jpeg().toBuffer();
    const a = await pdqHashImage(big);
    const b = await pdqHashImage(small);
    assert.equal(a.width, 2400);
    assert.ok(hammingDistance(a.hash, b.hash) <= 16, `${hammingDistance(a.hash, b.hash)}`);
  });
});
