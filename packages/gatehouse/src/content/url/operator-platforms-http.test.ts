// The operator's own platforms (brands file `userContent`, user-content.ts) over HTTP: a form on the
// platform's own form builder is a page of its own, not the brand's word; a brands file that names a
// platform outside its brand is refused when Gatehouse starts.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir, testGatehouse } from '../../testing/index.ts';

const EXAMPLE = JSON.parse(
  readFileSync(new URL('../../../config/brands.example.json', import.meta.url), 'utf8'),
) as unknown[];

const withPlatform = (userContent: unknown) => [
  ...EXAMPLE,
  { name: 'examplechat', domains: ['example-chat.com'], keywords: ['examplechat'], userContent },
];

test('a form on the operator’s own form builder is a page anyone published, over HTTP; the brand’s other pages stay its own', async () => {
  const dir = tempDir();
  const file = join(dir.dir, 'brands.json');
  writeFileSync(
    file,
    JSON.stringify(
      withPlatform([{ host: 'forms.example-chat.com', page: '^/f/[\\w-]{6,}', name: 'ExampleChat Forms' }]),
    ),
  );
  const { gh, cleanup } = await testGatehouse('sqlite', { brandsFile: file });
  try {
    const url = await gh.listen();
    const key = (await gh.keys.create('content ops', ['content:read'])).key;
    const analyze = async (text: string) =>
      (await (
        await fetch(`${url}/v1/content/urls/analyze`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ text }),
        })
      ).json()) as { urls: Array<{ site?: string; reasons: Array<{ code: string; platform?: string }> }> };
    const form = (await analyze('账号异常，请填写 https://forms.example-chat.com/f/Verify2026x 解封'))
      .urls[0]!;
    assert.equal(form.site, 'forms.example-chat.com/f/Verify2026x');
    assert.equal(form.reasons.find((r) => r.code === 'url.user-content')?.platform, 'ExampleChat Forms');
    assert.ok(!form.reasons.some((r) => r.code === 'url.official'), JSON.stringify(form));
    const help = (await analyze('帮助中心 https://forms.example-chat.com/help')).urls[0]!;
    assert.equal(help.site, undefined);
    assert.ok(
      help.reasons.some((r) => r.code === 'url.official'),
      JSON.stringify(help),
    );
  } finally {
    await cleanup();
    dir.cleanup();
  }
});

test('a brands file naming a platform outside its brand is refused at start, with the entry and the field', async () => {
  const dir = tempDir();
  const file = join(dir.dir, 'brands.json');
  writeFileSync(file, JSON.stringify(withPlatform([{ host: 'docs.google.com', page: '^/forms/' }])));
  try {
    await assert.rejects(
      testGatehouse('sqlite', { brandsFile: file }),
      (e: Error & { code?: string }) =>
        e.code === 'BRANDS_INVALID' &&
        /\(examplechat\): userContent\[0\]: host "docs\.google\.com" is not one of the brand's domains/.test(
          e.message,
        ),
    );
  } finally {
    dir.cleanup();
  }
});
