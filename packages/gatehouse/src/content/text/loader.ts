/** File loading for the text part (kept out of the pure scoring code). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GatehouseError } from '../../errors/index.ts';
import { parseLabelled } from './data.ts';
import type { ParsedData } from './data.ts';
import type { TextModel } from './model.ts';
import { loadModel, saveModel } from './serialize.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The shipped default model file (trained on SMS Spam Collection + qq-group-ads only). */
export const DEFAULT_MODEL_PATH = resolve(HERE, '../../../models/text-default.bin');

/** The repository root (four levels above this folder's package src). */
export const REPO_ROOT = resolve(HERE, '../../../../..');

/** Where the shared datasets are: $GATEHOUSE_DATASETS or ../shared/datasets from the repo root. */
export function datasetsDir(): string {
  return resolve(REPO_ROOT, process.env['GATEHOUSE_DATASETS'] ?? '../shared/datasets');
}

export const DATASETS = ['sms-spam-collection', 'qq-group-ads', 'tg-spam'] as const;
export type DatasetName = (typeof DATASETS)[number];

export function datasetPath(name: DatasetName): string {
  return join(datasetsDir(), name, 'train.tsv');
}

/** Reads and parses a `label<TAB>text` file; TEXT_DATA_NOT_FOUND when missing. */
export function readLabelledFile(path: string): ParsedData {
  if (!existsSync(path)) throw new GatehouseError('TEXT_DATA_NOT_FOUND', `data file not found: ${path}`);
  return parseLabelled(readFileSync(path, 'utf8'));
}

export function readModelFile(path: string): TextModel {
  if (!existsSync(path)) throw new GatehouseError('TEXT_MODEL_NOT_FOUND', `model file not found: ${path}`);
  return loadModel(readFileSync(path));
}

export function writeModelFile(path: string, model: TextModel): number {
  const bytes = saveModel(model);
  writeFileSync(path, bytes);
  return bytes.length;
}

/** Loads the shipped default text model. */
export function loadDefaultTextModel(): TextModel {
  return readModelFile(DEFAULT_MODEL_PATH);
}
