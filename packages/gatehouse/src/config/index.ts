import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { GatehouseError } from '../errors/index.ts';
import { PLATFORM_SETTINGS } from './settings-platform.ts';
import { OWNERS_SETTINGS } from './settings-owners.ts';
import { ACCESS_SETTINGS } from './settings-access.ts';
import { CLUSTER_SETTINGS } from '../cluster/settings.ts';
import type { Setting } from './kit.ts';

/**
 * Every setting Gatehouse reads, in one place (its parts in settings-*.ts, by area). Each is read from
 * the config file (JSON or YAML, camelCase keys, path in GATEHOUSE_CONFIG or --config) and overridden by
 * GATEHOUSE_<UPPER_SNAKE> environment variables. The README's settings table is generated from SETTINGS.
 */
export const SETTINGS = {
  ...PLATFORM_SETTINGS,
  ...OWNERS_SETTINGS,
  ...ACCESS_SETTINGS,
  ...CLUSTER_SETTINGS,
} as const;

export type SettingKey = keyof typeof SETTINGS;
export type Config = { [K in SettingKey]: z.output<(typeof SETTINGS)[K]['schema']> } & {
  /** Resolved database: kind and location. */
  database: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };
};

export function envName(key: string): string {
  return `GATEHOUSE_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

function readConfigFile(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw new GatehouseError('CONFIG_INVALID', `config file ${path} does not exist`);
  const text = readFileSync(path, 'utf8');
  let data: unknown;
  try {
    data = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new GatehouseError(
      'CONFIG_INVALID',
      `config file ${path} cannot be parsed: ${(e as Error).message}`,
    );
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new GatehouseError('CONFIG_INVALID', `config file ${path} must hold an object of settings`);
  }
  return data as Record<string, unknown>;
}

/**
 * Loads and validates the configuration. Precedence: overrides (CLI options) > environment > file > default.
 * An invalid value throws CONFIG_INVALID naming the key, where it came from and the expected form.
 */
export function loadConfig(
  opts: { env?: NodeJS.ProcessEnv; file?: string; overrides?: Partial<Record<SettingKey, unknown>> } = {},
): Config {
  const env = opts.env ?? process.env;
  const filePath = opts.file ?? env.GATEHOUSE_CONFIG;
  const file = filePath ? readConfigFile(filePath) : {};
  for (const k of Object.keys(file)) {
    if (!(k in SETTINGS)) {
      throw new GatehouseError(
        'CONFIG_INVALID',
        `unknown setting "${k}" in ${filePath}; known: ${Object.keys(SETTINGS).join(', ')}`,
      );
    }
  }
  for (const k of Object.keys(env)) {
    if (
      k.startsWith('GATEHOUSE_') &&
      k !== 'GATEHOUSE_CONFIG' &&
      !k.startsWith('GATEHOUSE_TEST_') &&
      k !== 'GATEHOUSE_REQUIRE_SERVICES' &&
      k !== 'GATEHOUSE_DATASETS'
    ) {
      if (!Object.keys(SETTINGS).some((s) => envName(s) === k)) {
        throw new GatehouseError(
          'CONFIG_INVALID',
          `unknown environment variable ${k}; known: ${Object.keys(SETTINGS).map(envName).join(', ')}`,
        );
      }
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(SETTINGS) as Array<[SettingKey, Setting]>) {
    let raw: unknown = def.default;
    let source = 'default';
    if (key in file) {
      raw = file[key];
      source = `config file ${filePath}`;
    }
    const e = env[envName(key)];
    if (e !== undefined) {
      raw = e;
      source = `environment variable ${envName(key)}`;
    }
    const o = opts.overrides?.[key];
    if (o !== undefined) {
      raw = o;
      source = 'command-line option';
    }
    const r = def.schema.safeParse(raw);
    if (!r.success) {
      // a check that names what is wrong (an unknown notice kind) says so; values of secrets never
      const custom = def.secret
        ? undefined
        : (outOfRange(r.error.issues) ?? r.error.issues.find((i) => i.code === 'custom')?.message);
      throw new GatehouseError(
        'CONFIG_INVALID',
        `invalid value ${def.secret ? '(not shown: secret)' : JSON.stringify(raw)} for ${key} (${source}): expected ${def.form}${custom ? ` (${custom})` : ''}`,
        { extra: { key, env: envName(key), expected: def.form } },
      );
    }
    out[key] = r.data;
  }
  const url = out.databaseUrl as string;
  const dataDir = resolve(out.dataDir as string);
  out.dataDir = dataDir;
  out.database = url.startsWith('postgres')
    ? { kind: 'postgres', url }
    : {
        kind: 'sqlite',
        path: url.startsWith('sqlite:') ? resolve(url.slice(7)) : resolve(dataDir, 'gatehouse.db'),
      };
  if (out.role !== 'all' && (out.database as Config['database']).kind !== 'postgres')
    throw new GatehouseError(
      'CONFIG_INVALID',
      `role ${String(out.role)} needs PostgreSQL (databaseUrl postgres://…)`,
      {
        extra: { key: 'role', env: envName('role'), expected: 'role all with SQLite' },
      },
    );
  if (out.role !== 'all' && out.natsUrl === '')
    throw new GatehouseError(
      'CONFIG_INVALID',
      `role ${String(out.role)} needs natsUrl (NATS with JetStream)`,
      {
        extra: { key: 'natsUrl', env: envName('natsUrl'), expected: 'nats://host:port' },
      },
    );
  return out as Config;
}

/** Markdown table of every setting (the README includes it). */
export function settingsTable(): string {
  const rows = Object.entries(SETTINGS as Record<string, Setting>).map(
    ([k, d]) =>
      `| \`${k}\` | \`${envName(k)}\` | \`${JSON.stringify(d.default)}\` | ${d.form.replaceAll('|', '\\|')} | ${d.doc} |`,
  );
  return [
    '| setting | environment variable | default | form | meaning |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** "at most 100000" / "at least 1" for a number outside its bounds (the form alone said "expected integer"). */
function outOfRange(
  issues: readonly { code: string; maximum?: unknown; minimum?: unknown }[],
): string | undefined {
  for (const i of issues) {
    if (i.code === 'too_big' && i.maximum !== undefined) return `at most ${String(i.maximum)}`;
    if (i.code === 'too_small' && i.minimum !== undefined) return `at least ${String(i.minimum)}`;
  }
  return undefined;
}
