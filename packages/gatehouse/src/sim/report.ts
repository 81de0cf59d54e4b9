/** A self-contained HTML report: the metrics and an inline SVG chart of the live phase. */
import type { Metrics } from './metrics.ts';
import type { TimelinePoint } from './runner.ts';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function htmlReport(m: Metrics, timeline: TimelinePoint[]): string {
  const end = timeline.reduce((m, p) => Math.max(m, p.t), 1000);
  const buckets = Math.max(1, Math.ceil(end / 1000));
  const series = {
    benign: new Array<number>(buckets).fill(0),
    intruder: new Array<number>(buckets).fill(0),
    contained: new Array<number>(buckets).fill(0),
  };
  for (const p of timeline) series[p.kind][Math.min(buckets - 1, Math.floor(p.t / 1000))]!++;
  const max = Object.values(series)
    .flat()
    .reduce((m, v) => Math.max(m, v), 1);
  const W = 800;
  const H = 300;
  const x = (i: number) => 40 + (i / Math.max(1, buckets - 1)) * (W - 60);
  const y = (v: number) => H - 30 - (v / max) * (H - 60);
  const colors = { benign: '#2b8a3e', intruder: '#c92a2a', contained: '#1971c2' } as const;
  const lines = (Object.keys(series) as Array<keyof typeof series>)
    .map(
      (k) =>
        `<polyline fill="none" stroke="${colors[k]}" stroke-width="2" points="${series[k].map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`,
    )
    .join('');
  const legend = (Object.keys(colors) as Array<keyof typeof colors>)
    .map((k, i) => `<text x="${60 + i * 150}" y="20" fill="${colors[k]}">■ ${k} messages/s</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<line x1="40" y1="${H - 30}" x2="${W - 20}" y2="${H - 30}" stroke="#888"/><line x1="40" y1="30" x2="40" y2="${H - 30}" stroke="#888"/>
<text x="5" y="${y(max) + 4}">${max}</text><text x="5" y="${H - 26}">0</text>
<text x="${W - 260}" y="${H - 8}">seconds since the live phase began (${buckets})</text>${legend}${lines}</svg>`;
  const rows = Object.entries(m)
    .filter(([k]) => k !== 'perSecond')
    .map(
      ([k, v]) =>
        `<tr><td>${esc(k)}</td><td>${esc(typeof v === 'object' ? JSON.stringify(v) : String(v))}</td></tr>`,
    )
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Gatehouse replay: ${esc(m.scenario)}</title>
<style>body{font-family:sans-serif;margin:2em}td{padding:2px 8px;border-bottom:1px solid #ddd}</style></head>
<body><h1>Gatehouse replay: ${esc(m.scenario)}</h1>${svg}<p>Messages per second during the live phase: benign (allowed or not), intruder messages the pre-send check allowed, and intruder messages held or blocked (contained).</p>${latencyChart(m)}<p>Per second of the live phase: the 99th percentile of the pre-send check's round trip (${m.checkLatencyMs.overTimeout} of ${m.checkLatencyMs.checks} checks over the ${m.checkLatencyMs.timeoutMs} ms timeout, dashed), and the largest response lag (a decision on a message asked in that second → the last webhook the response part enqueued for it).</p><table>${rows}</table></body></html>
`;
}

/** Check p99 and response lag per second, on a log scale (1 ms … the largest value). */
function latencyChart(m: Metrics): string {
  const ps = m.perSecond;
  if (ps.length === 0) return '';
  const W = 800;
  const H = 260;
  const top = Math.max(
    m.checkLatencyMs.timeoutMs * 2,
    ...ps.map((p) => Math.max(p.checkP99Ms ?? 0, p.responseLagMaxMs ?? 0)),
  );
  const x = (i: number) => 50 + (i / Math.max(1, ps.length - 1)) * (W - 70);
  const y = (v: number) => H - 30 - (Math.log10(Math.max(1, v)) / Math.log10(Math.max(10, top))) * (H - 60);
  const line = (color: string, v: (p: (typeof ps)[number]) => number | null) => {
    const pts = ps.flatMap((p, i) => {
      const val = v(p);
      return val === null ? [] : [`${x(i).toFixed(1)},${y(val).toFixed(1)}`];
    });
    return `<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`;
  };
  const ticks = [1, 10, 100, 1000, 10_000, 100_000]
    .filter((t) => t <= top)
    .map((t) => `<text x="5" y="${y(t) + 4}">${t} ms</text>`)
    .join('');
  const to = y(m.checkLatencyMs.timeoutMs);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<line x1="50" y1="${H - 30}" x2="${W - 20}" y2="${H - 30}" stroke="#888"/><line x1="50" y1="30" x2="50" y2="${H - 30}" stroke="#888"/>${ticks}
<line x1="50" y1="${to}" x2="${W - 20}" y2="${to}" stroke="#c92a2a" stroke-dasharray="4 4"/>
<text x="60" y="20" fill="#1971c2">■ check p99</text><text x="210" y="20" fill="#e67700">■ response lag max</text>
${line('#1971c2', (p) => p.checkP99Ms)}${line('#e67700', (p) => p.responseLagMaxMs)}</svg>`;
}
