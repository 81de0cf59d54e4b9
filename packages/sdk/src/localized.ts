import { z } from 'zod';

/**
 * Every user-facing text Gatehouse sends (webhook notices and warnings, check reasons, error titles):
 * English and Simplified Chinese, side by side. Show the one that matches the person's language.
 */
export const Localized = z.object({ en: z.string(), zh: z.string() });
export type Localized = z.infer<typeof Localized>;

/** A named reason for a decision: the signal and what it means, in both languages. */
export const Reason = z.object({ signal: z.string(), en: z.string(), zh: z.string() });
export type Reason = z.infer<typeof Reason>;
