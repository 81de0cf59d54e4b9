// content/image: PDQ perceptual hashes and hash banks. See README.md beside this file.
export type { PdqDihedral, PdqHash, PdqResult } from './pdq.ts';
export {
  PDQ_MIN_QUALITY,
  hammingDistance,
  isPdqHex,
  lumaFromPixels,
  pdqDihedralFromLuma,
  pdqFromHex,
  pdqFromLuma,
  pdqFromPixels,
  pdqToHex,
} from './pdq.ts';
export type { DecodeLimits, DecodedImage, ImageHash, ImageInfo } from './decode.ts';
export {
  DEFAULT_LIMITS,
  DIHEDRAL_MAX_SIDE,
  HASH_MAX_SIDE,
  decodeImage,
  pdqDihedralImage,
  pdqHashFile,
  pdqHashImage,
  probeImage,
  readImageFile,
} from './decode.ts';
export type { AddOptions, PdqEntry, PdqMatch } from './bank.ts';
export type { BankEntry, Sha256Entry, SignalType } from './hash-bank.ts';
export { DEFAULT_RADIUS, MAX_RADIUS, PdqBank } from './bank.ts';
export { HashBank, Sha256Bank } from './hash-bank.ts';
export type { ExportFormat, HashRecord, ImportFormat, ImportSummary, ParseResult } from './format.ts';
export { bankFromSnapshot, bankToSnapshot, isSnapshot } from './snapshot.ts';
export {
  EXPORT_FORMATS,
  IMPORT_FORMATS,
  bankFromText,
  bankToText,
  formatEntries,
  importInto,
  parseHashFile,
} from './format.ts';
