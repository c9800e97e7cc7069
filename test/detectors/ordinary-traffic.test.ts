import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { prng, syntheticRecord } from '../../bench/corpus.ts';
import type { CloudTrailRecord } from '../../functions/core/cloudtrail.ts';
import { correlateInMemory } from '../../functions/core/correlation.ts';
import { BUILT_IN_DETECTORS } from '../../functions/detectors/index.ts';

/*
 * No false positives on ordinary traffic: a small sample of the benchmark corpus (agents and
 * deployers calling all day from three accounts), without the corpus's rare attack signals
 * (the only records it marks readOnly false), must make each detector fire at most at the rate
 * its metadata documents (`ordinaryRate`, 0 when absent).
 */
const ACCOUNTS = ['123456789012', '210987654321', '111122223333'];
const REGIONS = ['us-east-1', 'eu-west-1'];
const SAMPLE = 6000;

function ordinarySample(seed: number): { key: string; records: CloudTrailRecord[] }[] {
  const rand = prng(seed);
  const objects: { key: string; records: CloudTrailRecord[] }[] = [];
  let clock = Date.parse('2026-10-01T00:00:00Z');
  for (let n = 0; n < SAMPLE / 200; n++) {
    const account = ACCOUNTS[n % ACCOUNTS.length]!;
    const region = REGIONS[n % REGIONS.length]!;
    const records = Array.from({ length: 200 }, (_, i) =>
      syntheticRecord(rand, account, region, new Date(clock + i * 1500)),
    );
    objects.push({
      key: `AWSLogs/${account}/CloudTrail/${region}/obj-${n}.json.gz`,
      records: records.filter((record) => record.readOnly !== false),
    });
    clock += 200 * 1500;
  }
  return objects;
}

const test = suite('ordinary traffic');

test('every stateless and correlating detector stays within its documented rate on the benchmark corpus', async () => {
  const objects = ordinarySample(341);
  const total = objects.reduce((sum, object) => sum + object.records.length, 0);
  assert.ok(total > SAMPLE * 0.99, `sample holds ${total} ordinary records`);
  for (const detector of BUILT_IN_DETECTORS) {
    let fired = 0;
    if (detector.kind === 'stateless') {
      for (const object of objects) for (const record of object.records) if (detector.detect(record)) fired++;
    } else if (detector.kind === 'correlating') {
      fired = (await correlateInMemory(detector, objects)).length;
    } else {
      continue; // Stateful detectors need the state port; their own tests cover ordinary fleets.
    }
    const allowed = detector.meta.ordinaryRate ?? 0;
    assert.ok(
      fired / total <= allowed,
      `${detector.meta.id} fired on ${fired} of ${total} ordinary records (documented rate ${allowed})`,
    );
  }
});

test.run();
