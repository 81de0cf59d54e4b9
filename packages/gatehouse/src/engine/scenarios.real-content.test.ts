// The engine scenarios of scenarios.test.ts with the real content analyzer: the shipped text model, the
// URL part (with an operator blocklist naming the test's gambling, porn and giveaway sites) and no
// image bank, in place of the lexicon test analyzer.
import { parseDomainList } from '../content/url/index.ts';
import { createContentAnalyzer } from './content.ts';
import type { EngineOptions } from './engine.ts';

const options: Partial<EngineOptions> = {
  content: createContentAnalyzer({
    url: { block: parseDomainList('bet-888.com\nxxx-live.cn\nfree-nitro.gift').list },
  }),
};
(globalThis as Record<symbol, unknown>)[Symbol.for('gatehouse.test.scenarioOptions')] = options;
await import(new URL('./scenarios.test.ts?real-content', import.meta.url).href);
