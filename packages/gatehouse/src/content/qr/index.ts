// content/qr: QR codes in message images and the platform's QR-login links in chat. See ../README.md.
export { decodeQr, QR_MAX_SIDE } from './decode.ts';
export { LoginQrMatcher, loginQrPrefixes, type LoginQrFinding, type LoginQrSource } from './login.ts';
export { MAX_IMAGES_PER_REQUEST, readAttachmentImages } from './attachments.ts';
