/**
 * `npm run model:build` (second step): trains the scam-intent model on generated data and the
 * licensed sets (SMS Spam Collection, qq-group-ads; training sides of the fixed split) and writes
 * packages/gatehouse/models/scam-default.bin. Deterministic: the same inputs give the same bytes.
 */
import { writeModelFile } from '../loader.ts';
import { DEFAULT_SCAM_MODEL_PATH, scamDataAvailable, trainScamModel } from './model.ts';

if (!scamDataAvailable()) {
  console.error('scam model: datasets not found; set GATEHOUSE_DATASETS');
  process.exit(1);
}
const bytes = writeModelFile(DEFAULT_SCAM_MODEL_PATH, trainScamModel());
console.log(`scam model: ${DEFAULT_SCAM_MODEL_PATH} (${bytes} bytes)`);
