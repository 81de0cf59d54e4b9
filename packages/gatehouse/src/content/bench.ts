import { registerBenchmark, type BenchOptions } from '../bench/index.ts';
import { benchImage } from './image/bench.ts';
import { benchText } from './text/bench.ts';
import { benchUrl } from './url/bench.ts';

/** The content part's figures in one run: text scores, URL analyses, PDQ hashes and bank lookups per second. */
export async function benchContent(opts: BenchOptions) {
  const { textScoresPerSecond } = await benchText(opts);
  const { urlAnalysesPerSecond } = await benchUrl(opts);
  const { pdqHashesPerSecond, bankLookupsPerSecond } = await benchImage(opts);
  return { textScoresPerSecond, urlAnalysesPerSecond, pdqHashesPerSecond, bankLookupsPerSecond };
}

registerBenchmark({
  name: 'content',
  description:
    'text scores/s (one core), URL analyses/s, PDQ hashes/s (512x512 JPEG), bank lookups/s at 1M hashes',
  run: benchContent,
});
