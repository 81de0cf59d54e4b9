// The request metrics kept in plain numbers print exactly what prom-client's own Counter and Histogram
// print for the same requests (names, labels, cumulative buckets, sum and count), and are read afresh at
// every scrape.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { RequestMetrics } from './request-metrics.ts';

const BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

test('the same text as prom-client for the same requests, scrape after scrape', async () => {
  const mine = new Registry();
  const metrics = new RequestMetrics(mine);
  const ref = new Registry();
  const requests = new Counter({
    name: 'gatehouse_http_requests_total',
    help: 'HTTP requests',
    labelNames: ['method', 'route', 'status'],
    registers: [ref],
  });
  const latency = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route'],
    buckets: BUCKETS,
    registers: [ref],
  });
  const seen = (method: string, route: string, status: number, seconds: number) => {
    metrics.count(method, route, status, seconds);
    requests.inc({ method, route, status: String(status) });
    latency.observe({ method, route }, seconds);
  };
  const sorted = async (r: Registry) => (await r.metrics()).split('\n').sort().join('\n');
  // bounds themselves, between them, above every one
  const times = [0.0001, 0.0005, 0.0007, 0.002, 0.0049, 0.3, 2.5, 9];
  for (const [i, s] of times.entries()) seen('POST', '/v1/check/message', i % 3 === 0 ? 400 : 200, s);
  seen('GET', '/v1/me', 200, 0.004);
  seen('GET', 'unmatched', 404, 0.0002);
  assert.equal(await sorted(mine), await sorted(ref));
  assert.match(
    await mine.metrics(),
    /gatehouse_http_request_duration_seconds_bucket\{le="\+Inf",method="POST",route="\/v1\/check\/message"\} 8/,
  );
  // later requests show at the next scrape
  seen('POST', '/v1/check/message', 200, 0.0011);
  seen('DELETE', '/v1/me/sessions/:id', 204, 0.02);
  assert.equal(await sorted(mine), await sorted(ref));
  // and as JSON too
  const json = (await mine.getMetricsAsJSON()).find(
    (m) => m.name === 'gatehouse_http_request_duration_seconds',
  )!;
  const refJson = (await ref.getMetricsAsJSON()).find(
    (m) => m.name === 'gatehouse_http_request_duration_seconds',
  )!;
  const norm = (m: typeof json) =>
    m.values
      .map((v) => {
        const { metricName } = v as { metricName?: string };
        const labels = Object.entries(v.labels).sort(([a], [b]) => a.localeCompare(b));
        return JSON.stringify([metricName, labels, v.value]);
      })
      .sort();
  assert.deepEqual(norm(json), norm(refJson));
});
