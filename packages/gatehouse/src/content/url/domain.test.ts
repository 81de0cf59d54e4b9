import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  domainInfo,
  parseIpv4,
  parseIpv6,
  registeredDomain,
  toAscii,
  toUnicode,
  validHostname,
} from './domain.ts';

test('registered domain by the PSL', () => {
  assert.equal(registeredDomain('a.b.qq.com'), 'qq.com');
  assert.equal(registeredDomain('www.example.com.cn'), 'example.com.cn');
  assert.equal(registeredDomain('evil.github.io'), 'evil.github.io');
  assert.equal(registeredDomain('com'), null);
  const i = domainInfo('login.steamcommunity.com');
  assert.equal(i.label, 'steamcommunity');
  assert.equal(i.subdomain, 'login');
  assert.ok(i.icann);
});

test('IDN both ways', () => {
  assert.equal(toAscii('例子.中国'), 'xn--fsqu00a.xn--fiqs8s');
  assert.equal(toUnicode('xn--fsqu00a.xn--fiqs8s'), '例子.中国');
  assert.equal(toAscii('pаypal.com'), 'xn--pypal-4ve.com');
  assert.equal(toUnicode('xn--pypal-4ve.com'), 'pаypal.com');
  assert.equal(toAscii('QQ.COM'), 'qq.com');
  assert.equal(registeredDomain('www.例子.中国'), 'xn--fsqu00a.xn--fiqs8s');
});

test('IPv4 forms', () => {
  assert.deepEqual(parseIpv4('192.168.0.1'), { ip: '192.168.0.1', form: 'dotted' });
  assert.deepEqual(parseIpv4('3232235521'), { ip: '192.168.0.1', form: 'decimal' });
  assert.deepEqual(parseIpv4('0xC0A80001'), { ip: '192.168.0.1', form: 'hex' });
  assert.deepEqual(parseIpv4('0300.0250.0.01'), { ip: '192.168.0.1', form: 'octal' });
  assert.deepEqual(parseIpv4('127.1'), { ip: '127.0.0.1', form: 'short' });
  assert.equal(parseIpv4('qq.com'), null);
  assert.equal(parseIpv4('1.2.3.999'), 'invalid');
  assert.equal(parseIpv6('[::1]'), '::1');
  assert.equal(parseIpv6('[zz]'), null);
});

test('hostname syntax', () => {
  assert.ok(validHostname('qq-login.com'));
  assert.ok(!validHostname('-a.com'));
  assert.ok(!validHostname('a..com'));
  assert.ok(!validHostname('a'.repeat(64) + '.com'));
});
