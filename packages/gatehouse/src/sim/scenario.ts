/**
 * Scenario files (YAML) for the society simulator, validated with zod. Errors name the field
 * (`attack.share: Too big: expected number to be <=1`). The schema is documented in docs/scenarios.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { GatehouseError } from '../errors/index.ts';

/** The scenario `gatehouse demo` plays unless told another. */
export const DEFAULT_SCENARIO = join(import.meta.dirname, '../../../../scenarios/qq-incident.yaml');

const share = z.number().min(0).max(1);

const Message = z.strictObject({
  text: z.string().min(1).max(2000),
  url: z.string().url().optional(),
  /** SHA-256 of an attached image (hex); sent as an attachment. */
  image: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});

export const ScenarioSchema = z.strictObject({
  name: z.string().min(1).max(100),
  description: z.string().max(2000).default(''),
  society: z
    .strictObject({
      accounts: z.number().int().min(10).max(1_000_000).default(500),
      /** Preferential attachment: links each newcomer makes (mean degree ≈ 2 × this). */
      links: z.number().int().min(1).max(50).default(5),
      /** Groups per 100 accounts and their size range. */
      groupsPer100: z.number().min(0).max(100).default(3),
      groupSize: z.tuple([z.number().int().min(2), z.number().int().min(2)]).default([5, 30]),
      chinese: share.default(0.8),
      nightOwls: share.default(0.1),
      desktop: share.default(0.3),
      linkSharers: share.default(0.2),
      /** Share of people living in another time zone (−8 h … +8 h from the others). */
      abroad: share.default(0.05),
    })
    .prefault({}),
  history: z
    .strictObject({
      /** Hours of ordinary life before the live phase (at most 22: events older than 24 h are rejected). */
      hours: z.number().min(1).max(22).default(20),
      messagesPerDay: z.number().min(0).max(500).default(30),
    })
    .prefault({}),
  live: z
    .strictObject({
      /** Local hour of the home time zone when the live phase starts (0 = midnight). */
      localHour: z.number().int().min(0).max(23).default(2),
      /** Real seconds the live phase lasts. */
      seconds: z.number().min(1).max(3600).default(20),
      /** Simulated minutes the live phase stands for (documentation and per-day rates). */
      simulatedMinutes: z.number().min(1).max(1440).default(60),
      /** Benign messages per awake account during the live phase (fractional: a probability). */
      backgroundMessages: z.number().min(0).max(50).default(0.5),
      /**
       * Share of (non-victim) people who sign in on a laptop with a QR code their phone approves, both
       * on their home network, then send one message from it (issue 12: legitimate QR logins).
       */
      qrLogins: share.default(0),
      /**
       * Owners away from home (travelling for the holiday, a new phone): this share of (non-victim)
       * people sign in during the live phase from another network — on their own phone (its device
       * token), or on a new phone for a `newPhone` share of them — and send everything of theirs in
       * the live phase from that session. What the account's-own-evidence rules cost owners.
       */
      away: z.strictObject({ share: share.default(0), newPhone: share.default(0) }).prefault({}),
    })
    .prefault({}),
  greetings: z
    .strictObject({
      share: share,
      /** A plain greeting, or one with a link (an e-card) or an image (a meme). */
      texts: z.array(z.union([z.string().min(1), Message])).min(1),
      /**
       * `friends`: one message to all friends (default); `close`: to the closest 3 friends; `group`:
       * to one of the person's groups (an event invitation, birthday wishes in a big group).
       */
      to: z.enum(['friends', 'close', 'group']).default('friends'),
      /** Share of the live window over which the greetings start (0.3: the first 18 of 60 minutes). */
      within: z.number().min(0.01).max(1).default(0.3),
      /** A benign link shared by many people at once (a viral video). */
      viralLink: z.strictObject({ url: z.string().url(), share: share, text: z.string().min(1) }).optional(),
    })
    .optional(),
  attack: z
    .strictObject({
      /** Share of accounts hijacked during the live phase. */
      share: share.default(0),
      /** Exactly this many hijacked accounts (lone intruders: 1–4 among thousands); overrides `share`. */
      count: z.number().int().min(1).max(100_000).optional(),
      /** Victims after the first few are drawn from the contacts of earlier victims. */
      spreadsToContacts: z.boolean().default(true),
      signIn: z
        .strictObject({
          /** `shared`: every intruder signs in from one /24 network; `distinct`: one network each. */
          network: z.enum(['shared', 'distinct']).default('distinct'),
          /** Failed password guesses on other accounts per successful sign-in (credential stuffing). */
          failedGuesses: z.number().int().min(0).max(50).default(0),
          /**
           * `password`: the intruder knows the password; `qr`: the intruder's device asks for a QR login,
           * a forged page relays it and the victim's phone approves it (the 2022 QQ hijack).
           */
          method: z.enum(['password', 'qr']).default('password'),
          /** With `qr`: share of intruders in the victim's own city (another /24 of the same /16). */
          sameCity: share.default(0),
          userAgent: z
            .string()
            .default(
              'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/99.0 Safari/537.36',
            ),
        })
        .prefault({}),
      /** `all`: every friend and group; `close`: the `closeFriends` friends the owner talks to most. */
      targets: z.enum(['all', 'close']).default('all'),
      closeFriends: z.number().int().min(1).max(50).default(3),
      groups: z.boolean().default(true),
      /** Recipients per message (1 = one message per friend). */
      recipientsPerMessage: z.number().int().min(1).max(1000).default(1),
      /** `burst`: as fast as possible; `slow`: one message every `intervalSeconds` of real time. */
      pace: z.enum(['burst', 'slow']).default('burst'),
      intervalSeconds: z.number().min(0).max(600).default(1),
      /** At most this many messages per hijacked account (0: no limit). */
      maxMessages: z.number().int().min(0).max(100_000).default(0),
      /** Use the owner's usual client and hours (stealthy intruders). */
      mimicOwner: z.boolean().default(false),
      messages: z.array(Message).min(1),
    })
    .optional(),
});

export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioMessage = z.output<typeof Message>;

/** Validates a parsed scenario; throws SCENARIO_INVALID naming every bad field. */
export function validateScenario(data: unknown, source = 'scenario'): Scenario {
  const r = ScenarioSchema.safeParse(data ?? {});
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new GatehouseError('SCENARIO_INVALID', `${source}: ${problems.join('; ')}`, {
      extra: { problems },
    });
  }
  const atk = r.data.attack;
  if (atk && atk.share === 0 && atk.count === undefined)
    throw new GatehouseError(
      'SCENARIO_INVALID',
      `${source}: attack.share: give a share above 0 or attack.count`,
      {
        extra: { problems: ['attack.share: give a share above 0 or attack.count'] },
      },
    );
  if (r.data.society.groupSize[0] > r.data.society.groupSize[1])
    throw new GatehouseError('SCENARIO_INVALID', `${source}: society.groupSize: min is above max`, {
      extra: { problems: ['society.groupSize: min is above max'] },
    });
  return r.data;
}

export function parseScenario(text: string, source = 'scenario'): Scenario {
  let data: unknown;
  try {
    data = parse(text);
  } catch (e) {
    throw new GatehouseError('SCENARIO_INVALID', `${source}: not YAML: ${(e as Error).message}`);
  }
  return validateScenario(data, source);
}

export function loadScenario(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new GatehouseError('SCENARIO_NOT_FOUND', `cannot read ${path}`);
  }
  return parseScenario(text, path);
}
