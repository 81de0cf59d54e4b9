// Pages anyone may publish on a shared platform (user-content.ts): a form or document on a brand's own
// domain is not the brand's word — never url.official — and its page, not the platform, is its site.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { analyzeText, analyzeUrl } from './analyze.ts';
import { compileBrands, parseBrandsText } from './brands.ts';
import { userContentPage } from './user-content.ts';

const brands = compileBrands(
  parseBrandsText(readFileSync(new URL('../../../config/brands.example.json', import.meta.url), 'utf8')),
);
const codes = (u: string) => analyzeUrl(u, { brands }).reasons.map((r) => r.code);

test('a form, a document or a file share is the page its author publishes, whoever owns the domain', () => {
  const cases: Array<[string, string, string]> = [
    [
      'https://docs.google.com/forms/d/e/1FAIpQLSf3kd9xY/viewform?usp=sf_link',
      'Google Docs',
      'docs.google.com/forms/d/e/1FAIpQLSf3kd9xY',
    ],
    [
      'https://docs.google.com/document/d/1aB2cD3eF4gH/edit',
      'Google Docs',
      'docs.google.com/document/d/1aB2cD3eF4gH',
    ],
    ['https://forms.gle/Ab12Cd34Ef', 'Google Forms', 'forms.gle/Ab12Cd34Ef'],
    [
      'https://sites.google.com/view/free-nitro-claim/home',
      'Google Sites',
      'sites.google.com/view/free-nitro-claim',
    ],
    ['https://drive.google.com/file/d/1ZyXwVuT9/view', 'Google Drive', 'drive.google.com/file/d/1ZyXwVuT9'],
    ['https://docs.qq.com/form/page/DUkFaVm9xYz', 'Tencent Docs', 'docs.qq.com/form/page/DUkFaVm9xYz'],
    ['https://docs.qq.com/doc/DRkVabc123', 'Tencent Docs', 'docs.qq.com/doc/DRkVabc123'],
    ['https://wj.qq.com/s2/12345678/ab12/', 'Tencent Survey', 'wj.qq.com/s2/12345678/ab12'],
    [
      'https://acme.feishu.cn/share/base/form/shrcnAbc123',
      'Feishu',
      'acme.feishu.cn/share/base/form/shrcnAbc123',
    ],
    ['https://pan.baidu.com/s/1AbCdEfG', 'Baidu Netdisk', 'pan.baidu.com/s/1AbCdEfG'],
    // an H5 builder's page: an e-invitation, a poster, an event page
    ['https://h5.eqxiu.com/s/Wd8kQz2m', 'Eqxiu', 'h5.eqxiu.com/s/Wd8kQz2m'],
    ['https://a.rabbitpre.com/m2/AbCdEf12', 'Rabbitpre', 'a.rabbitpre.com/m2/AbCdEf12'],
    ['https://viewer.maka.im/k/ABCDEF12', 'MAKA', 'viewer.maka.im/k/ABCDEF12'],
    // a messenger's channel, group, chat or server that anyone may open and name
    ['https://t.me/vip_signals_cn', 'Telegram', 't.me/vip_signals_cn'],
    ['https://t.me/+Qx7_kLm2abc', 'Telegram', 't.me/+Qx7_kLm2abc'],
    ['https://t.me/joinchat/AAAAAE9xYz', 'Telegram', 't.me/joinchat/AAAAAE9xYz'],
    ['https://chat.whatsapp.com/HkT5pQ9zW2r', 'WhatsApp', 'chat.whatsapp.com/HkT5pQ9zW2r'],
    ['https://wa.me/447700900123?text=hi', 'WhatsApp', 'wa.me/447700900123'],
    ['https://discord.gg/free-nitro', 'Discord', 'discord.gg/free-nitro'],
    ['https://discord.com/invite/AbCd12', 'Discord', 'discord.com/invite/AbCd12'],
    ['https://qm.qq.com/q/Zx81kQpA', 'QQ', 'qm.qq.com/q/Zx81kQpA'],
    // a QQ or WeChat group's invitation on the platform's own domains, named by the path or the query
    ['https://jq.qq.com/?_wv=1027&k=Xb7kQ2mZ', 'QQ', 'jq.qq.com/?k=Xb7kQ2mZ'],
    [
      'https://qm.qq.com/cgi-bin/qm/qr?k=Hq4vTz9LpW&jump_from=webapi',
      'QQ',
      'qm.qq.com/cgi-bin/qm/qr?k=Hq4vTz9LpW',
    ],
    ['https://weixin.qq.com/g/AbCdEf12345678', 'WeChat', 'weixin.qq.com/g/AbCdEf12345678'],
    ['https://www.maka.im/mview/viewer.html?id=ABCD1234#p2', 'MAKA', 'maka.im/mview/viewer.html?id=ABCD1234'],
    ['https://wxaurl.cn/bQZkHc9Xz1', 'WeChat mini program', 'wxaurl.cn/bQZkHc9Xz1'],
  ];
  for (const [url, platform, site] of cases) {
    const a = analyzeUrl(url, { brands });
    assert.equal(a.site, site, url);
    const r = a.reasons.find((x) => x.code === 'url.user-content');
    assert.equal(r?.platform, platform, url);
    assert.match(r?.en ?? '', /anyone can publish/);
    assert.match(r?.zh ?? '', /任何人都能发布/);
    assert.ok(!codes(url).includes('url.official'), `${url}: ${codes(url).join()}`);
  }
  // the page's words count like any other link's: a lure on a site builder's page makes it suspicious
  assert.equal(
    analyzeUrl('https://sites.google.com/view/free-nitro-claim', { brands }).verdict,
    'suspicious',
  );
  // found in text as well
  assert.equal(
    analyzeText('帮我填一下 https://docs.qq.com/form/page/DUkFaVm9xYz 谢谢', { brands }).urls[0]!.site,
    'docs.qq.com/form/page/DUkFaVm9xYz',
  );
});

test('the platform itself, its other pages and lookalikes of it are what they were', () => {
  for (const url of [
    'https://docs.google.com/',
    'https://www.google.com/search?q=forms',
    'https://drive.google.com/drive/my-drive',
    'https://docs.qq.com/desktop/',
    'https://wj.qq.com/',
    'https://mail.qq.com/cgi-bin/frame_html',
  ]) {
    const a = analyzeUrl(url, { brands });
    assert.equal(a.site, undefined, url);
    assert.ok(codes(url).includes('url.official'), `${url}: ${codes(url).join()}`);
    assert.equal(a.verdict, 'clean', url);
  }
  // a lookalike host is judged as a lookalike, with a form's path or without
  assert.equal(analyzeUrl('https://tencent-docs.cn/form/page/DUkFaVm9xYz', { brands }).verdict, 'lookalike');
  // paths that name no page, and other hosts
  assert.equal(userContentPage('docs.google.com', '/forms/about/'), undefined);
  assert.equal(userContentPage('wj.qq.com', '/s2/'), undefined);
  assert.equal(userContentPage('example.com', '/form/page/DUkFaVm9xYz'), undefined);
  assert.equal(userContentPage('notfeishu.cn', '/docx/abcdef123'), undefined);
  // a messenger's own pages that name no channel or invite
  assert.equal(userContentPage('discord.com', '/channels/1/2'), undefined);
  assert.equal(userContentPage('t.me', '/'), undefined);
  // a page named by its query needs the parameter
  assert.equal(userContentPage('qm.qq.com', '/cgi-bin/qm/qr?jump_from=webapi'), undefined);
  assert.equal(userContentPage('jq.qq.com', '/?_wv=1027'), undefined);
  assert.equal(userContentPage('jq.qq.com', '/?k=<script>'), undefined);
});

test('an operator names the pages anyone may publish on its own brand’s hosts in the brands file; a platform outside the brand or a bad pattern is refused when the file loads', () => {
  const own = compileBrands(
    parseBrandsText(
      JSON.stringify([
        {
          name: 'examplechat',
          domains: ['example-chat.com'],
          keywords: ['examplechat'],
          userContent: [
            { host: 'forms.example-chat.com', page: '^/f/[\\w-]{6,}', name: 'ExampleChat Forms' },
            { host: '.sites.example-chat.com', page: '^/p/[\\w-]{3,}' },
            { host: 'groups.example-chat.com', page: '^/join', param: 'g', name: 'ExampleChat groups' },
          ],
        },
      ]),
    ),
  );
  const form = analyzeUrl('https://forms.example-chat.com/f/AbC123xyz?src=chat', { brands: own });
  assert.equal(form.site, 'forms.example-chat.com/f/AbC123xyz');
  assert.equal(form.reasons.find((r) => r.code === 'url.user-content')?.platform, 'ExampleChat Forms');
  assert.ok(!form.reasons.some((r) => r.code === 'url.official'));
  const tenant = analyzeUrl('https://shop1.sites.example-chat.com/p/sale', { brands: own });
  assert.equal(tenant.site, 'shop1.sites.example-chat.com/p/sale');
  assert.equal(tenant.reasons.find((r) => r.code === 'url.user-content')?.platform, 'examplechat');
  // a group named by a query parameter
  assert.equal(
    analyzeUrl('https://groups.example-chat.com/join?src=qr&g=Gx81kQ', { brands: own }).site,
    'groups.example-chat.com/join?g=Gx81kQ',
  );
  // the brand's other pages stay its own, and the built-in platforms are still known
  const help = analyzeUrl('https://forms.example-chat.com/help', { brands: own });
  assert.equal(help.site, undefined);
  assert.ok(help.reasons.some((r) => r.code === 'url.official'));
  assert.equal(analyzeUrl('https://forms.gle/Ab12Cd34Ef', { brands: own }).site, 'forms.gle/Ab12Cd34Ef');

  const refused = (userContent: unknown, message: RegExp) =>
    assert.throws(
      () =>
        parseBrandsText(
          JSON.stringify([{ name: 'examplechat', domains: ['example-chat.com'], userContent }]),
          'brands.json',
        ),
      (e: Error & { code?: string }) => e.code === 'BRANDS_INVALID' && message.test(e.message),
    );
  refused(
    [{ host: 'docs.evil.example', page: '^/f/\\w+' }],
    /brands\.json: entry 0 \(examplechat\): userContent\[0\]: host "docs\.evil\.example" is not one of the brand's domains/,
  );
  refused(
    [{ host: 'forms.example-chat.com', page: '/f/\\w+' }],
    /userContent\[0\]: page .* must start with \^\//,
  );
  refused(
    [{ host: 'forms.example-chat.com', page: '^/f/(\\w+' }],
    /userContent\[0\]: page .* is not a valid pattern/,
  );
  refused([{ host: 'forms.example-chat.com', page: '^/f/\\w+', owner: 'x' }], /userContent\.0/);
  refused([{ host: 'forms.example-chat.com', page: '^/f/(\\w+)+$' }], /repeats a group that repeats inside/);
  refused(
    [{ host: 'forms.example-chat.com', page: '^/f/([a-z]*-)*x' }],
    /repeats a group that repeats inside/,
  );
});

test('a short link’s code, a free host’s or tunnel’s tenant, a bucket and IPFS content are the site, not the shared service', () => {
  for (const [url, site] of [
    ['https://t.cn/A6hK2mQ9', 't.cn/A6hK2mQ9'],
    ['https://bit.ly/3xYzAbc?utm=1', 'bit.ly/3xYzAbc'],
    ['https://lily-notes.000webhostapp.com/blog/7', 'lily-notes.000webhostapp.com'],
    ['https://www.000webhostapp.com/pricing', '000webhostapp.com/pricing'],
    ['https://abc123.ngrok-free.app/login', 'abc123.ngrok-free.app'],
    ['https://storage.googleapis.com/my.bucket/x.html', 'storage.googleapis.com/my.bucket'],
    [
      'https://ipfs.io/ipfs/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/login.html',
      'ipfs.io/ipfs/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi',
    ],
  ] as const) {
    const a = analyzeUrl(url, { brands });
    assert.equal(a.site, site, url);
    assert.ok(!a.reasons.some((r) => r.code === 'url.user-content'), url);
  }
  // the service's own front page names no tenant; a free TLD's domains are their registrants' already
  assert.equal(analyzeUrl('https://bit.ly/', { brands }).site, undefined);
  assert.equal(analyzeUrl('https://prize-drop.tk/claim', { brands }).site, undefined);
});
