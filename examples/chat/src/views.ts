/**
 * The chat's shared shapes and small pure helpers: ids, links in a text, what the pages see of users,
 * messages and warnings, image types.
 */
import { randomBytes } from 'node:crypto';
import type { CheckResult } from './gatehouse.ts';
import type { AttachmentRef, MessageRow, WarningRow } from './db.ts';

export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const IMAGE_TYPES: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};
export const MAX_TEXT = 4000;
export const MAX_ATTACHMENTS = 4;

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}

const URL_RE = /\bhttps?:\/\/[^\s<>"'）》】]+|\bwww\.[^\s<>"'）》】]+/giu;
/** The links in a text (as written, trailing punctuation trimmed). */
export function extractUrls(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(URL_RE)) {
    const u = m[0].replace(/[.,;:!?，。；：！？)\]]+$/u, '');
    if (u && !out.includes(u)) out.push(u);
  }
  return out.slice(0, 100);
}

export interface UserView {
  id: string;
  handle: string;
  displayName: string;
  state: 'active' | 'frozen';
}
export interface MessageView {
  id: string;
  conv: string;
  sender: string;
  senderName: string;
  text: string;
  urls: string[];
  attachments: AttachmentRef[];
  state: MessageRow['state'];
  createdAt: number;
}
export interface WarningView {
  id: string;
  conv: string;
  messageId: string | null;
  en: string;
  zh: string;
  createdAt: number;
}

export interface SendInput {
  to: { user: string } | { group: string };
  text: string;
  attachments: string[];
}
export type SendResult =
  | { status: 'delivered'; message: MessageView }
  | { status: 'held'; message: MessageView; reasons: CheckResult['reasons'] };

export function warningView(w: WarningRow): WarningView {
  return {
    id: w.id,
    conv: w.conv,
    messageId: w.message_id,
    en: w.text_en,
    zh: w.text_zh,
    createdAt: w.created_at,
  };
}

/** Checks the magic bytes of an image against its declared type. */
export function looksLike(mime: string, b: Buffer): boolean {
  switch (mime) {
    case 'image/png':
      return b.length > 8 && b.readUInt32BE(0) === 0x89504e47;
    case 'image/jpeg':
      return b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
    case 'image/gif':
      return b.length > 6 && b.subarray(0, 4).toString('latin1') === 'GIF8';
    case 'image/webp':
      return (
        b.length > 12 &&
        b.subarray(0, 4).toString('latin1') === 'RIFF' &&
        b.subarray(8, 12).toString('latin1') === 'WEBP'
      );
    default:
      return false;
  }
}
