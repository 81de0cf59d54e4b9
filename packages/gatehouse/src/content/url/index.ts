/** URL and domain analysis: extraction from text, lookalikes of protected brands, risk signals. */
export { analyzeUrl, analyzeText, analyzeParsed } from './analyze.ts';
export type { UrlContext, UrlAnalysis, TextAnalysis, TextUrlAnalysis, Verdict } from './analyze.ts';
export { extractUrls, parseUrl } from './parse.ts';
export type { ExtractedUrl, Extraction, ExtractOptions, ParsedUrl, HostKind } from './parse.ts';
export type { ObfuscationFlag } from './normalize.ts';
export { domainInfo, registeredDomain, toAscii, toUnicode, parseIpv4 } from './domain.ts';
export type { DomainInfo, Ipv4, Ipv4Form } from './domain.ts';
export { skeleton } from './confusables.ts';
export { BrandSchema, BrandsFileSchema, parseBrands, parseBrandsText, compileBrands } from './brands.ts';
export type { Brand, BrandIndex } from './brands.ts';
export { detectLookalike, officialBrand } from './lookalike.ts';
export type { LookalikeMatch, LookalikeRule } from './lookalike.ts';
export { parseDomainList, matchList, emptyList } from './lists.ts';
export type { DomainList, ListError, ListMatch } from './lists.ts';
export { loadBrands, watchBrands, loadDomainList, watchDomainList, watchFile } from './loader.ts';
export type { Watched, WatchOptions } from './loader.ts';
export type { Reason } from './messages.ts';
export { REASON_CODES } from './messages.ts';
