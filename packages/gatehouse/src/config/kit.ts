import { z } from 'zod';

/** One setting: its schema, default, the form the README shows and what it does. */
export interface Setting {
  schema: z.ZodType;
  default: unknown;
  form: string;
  doc: string;
  /** Never echo the value (in errors or anywhere). */
  secret?: boolean;
}

export const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
export const bool = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
]);
