import { loadDefaultTextModel, scoreText } from './index.ts';
const m = loadDefaultTextModel();
for (const t of process.argv.slice(2)) {
  const r = scoreText(m, t) as any;
  console.log((r.probability ?? 0).toFixed(2), (r.intents ?? []).map((x: any) => x.intent + ':' + (x.term ?? x.original ?? '')).join(',').padEnd(40), '|', t);
}
