// Builds packages/gatehouse/src/identity/lists/common-passwords.bin, the compact local list the
// breached-password check reads. `npm run build:breached` (the source package, @zxcvbn-ts/language-common,
// is a dependency of packages/gatehouse: its strength check uses it too).
//
// Source: the common-password list of @zxcvbn-ts/language-common (MIT, © Dan Wheeler, Dropbox, @zxcvbn-ts),
// the list zxcvbn ranks as the most used passwords. Only entries at least 8 characters long are kept (shorter
// ones are refused by the length rule anyway). Each is lower-cased (NFKC), hashed with SHA-256 and the first
// 5 bytes kept; the file is the sorted, de-duplicated 5-byte prefixes after an 8-byte header
// "GHBP" + uint32 count. No password text is shipped; a lookup is a binary search.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const MIN = 8;
const PREFIX = 5;
const require = createRequire(import.meta.url);
const listPath = require
  .resolve('@zxcvbn-ts/language-common/package.json')
  .replace(/package\.json$/, 'src/passwords.json');
const list = JSON.parse(readFileSync(listPath, 'utf8')) as string[];
const keys = new Set<string>();
for (const p of list) {
  const n = p.normalize('NFKC').toLowerCase();
  if ([...n].length < MIN) continue;
  keys.add(
    createHash('sha256')
      .update(n, 'utf8')
      .digest('hex')
      .slice(0, PREFIX * 2),
  );
}
const sorted = [...keys].sort();
const out = Buffer.alloc(8 + sorted.length * PREFIX);
out.write('GHBP', 0, 'ascii');
out.writeUInt32BE(sorted.length, 4);
sorted.forEach((h, i) => Buffer.from(h, 'hex').copy(out, 8 + i * PREFIX));
const file = new URL('../packages/gatehouse/src/identity/lists/common-passwords.bin', import.meta.url);
writeFileSync(file, out);
console.log(
  `${sorted.length} entries (${out.length} bytes) from ${list.length} passwords -> ${file.pathname}`,
);
