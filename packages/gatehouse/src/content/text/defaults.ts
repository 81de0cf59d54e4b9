/** Training defaults (a light module: the CLI reads them without loading the text tables). */
export const DEFAULT_BITS = 20;
export const DEFAULT_EPOCHS = 6;
export const DEFAULT_SEED = 0x9a7e;
export const DEFAULT_THRESHOLD = 0.35;
export const DEFAULT_SOURCE_DROPOUT = 0.3;
