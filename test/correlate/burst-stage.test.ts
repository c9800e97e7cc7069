import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CloudTrailRecord } from '../../functions/core/cloudtrail.ts';
import { correlationFindingId } from '../../functions/core/correlation.ts';
import { createSecretsManagerSecretsReadInBulk } from '../../functions/detectors/secrets-manager-secrets-read-in-bulk.ts';
import { analyzeAndCorrelate } from '../helpers/correlate.ts';
import { MemoryTrail } from '../helpers/fakes.ts';
import { mulberry32 } from '../helpers/prng.ts';
import { aCall, anIamUser } from '../helpers/records.ts';

const test = suite('burst detectors through the correlation stage');

const detector = createSecretsManagerSecretsReadInBulk({ threshold: 4 });

/** A pipeline's burst across the 23:50 window boundary: 3 secrets before it, 3 after, threshold 4. */
const PIPELINE = 'arn:aws:iam::123456789012:user/terraform';
const STRADDLE_ID = correlationFindingId(
  detector.meta.id,
  `${PIPELINE}#123456789012#2026-10-01T00:00:00.000Z`,
  '2026-10-01T23:40:00.000Z/2026-10-01T23:50:00.000Z',
);

/**
 * Twelve principals of one account reading secrets from 23:40 to 00:20 across midnight, and a
 * pipeline's burst straddling 23:50, their records dealt over 16 log objects: windows split across
 * objects and work items, two days.
 */
function aTrail(): { trail: MemoryTrail; keys: string[] } {
  const rng = mulberry32(7);
  const objects: CloudTrailRecord[][] = Array.from({ length: 16 }, () => []);
  for (let p = 0; p < 12; p++) {
    const userIdentity = anIamUser({ arn: `arn:aws:iam::123456789012:user/u${p}`, userName: `u${p}` });
    for (let i = 0; i < 30; i++) {
      const eventTime = new Date(Date.parse('2026-10-01T23:40:00Z') + rng.int(0, 2400) * 1000).toISOString();
      objects[rng.int(0, 15)]!.push(
        aCall(
          'secretsmanager',
          'GetSecretValue',
          { secretId: `s${rng.int(0, p % 3 === 0 ? 9 : 2)}` },
          {
            eventTime,
            userIdentity,
            eventID: `e-${p}-${i}`,
          },
        ),
      );
    }
  }
  const pipeline = anIamUser({ arn: PIPELINE, userName: 'terraform' });
  for (let i = 0; i < 6; i++) {
    const eventTime = new Date(Date.parse('2026-10-01T23:49:57Z') + i * 1000).toISOString();
    objects[rng.int(0, 15)]!.push(
      aCall('secretsmanager', 'GetSecretValue', { secretId: `tf-${i}` }, { eventTime, userIdentity: pipeline }),
    );
  }
  const trail = new MemoryTrail();
  const keys = objects.map((records, i) => {
    const key = `AWSLogs/123456789012/CloudTrail/us-east-1/2026/10/01/obj-${String(i).padStart(2, '0')}.json.gz`;
    trail.putRecords(key, records);
    return key;
  });
  return { trail, keys };
}

test('the same findings whatever the work-item order and size, with one write per pack', async () => {
  const { trail, keys } = aTrail();
  const reference = await analyzeAndCorrelate(trail, keys, { detectors: [detector], batchSize: 500 });
  const expected = [...reference.findings.items.keys()].sort();
  assert.ok(expected.length >= 8, `${expected.length} findings`);
  assert.ok(expected.includes(STRADDLE_ID), 'the burst across 23:50 is found');
  // One work item: 13 principals over two days, in at most 4 packs a day, and the touched list.
  assert.ok(reference.aggregates.writes <= 2 * 4 + 1, `${reference.aggregates.writes} writes`);
  for (const [seed, batchSize] of [
    [1, 1],
    [2, 3],
    [3, 7],
    [4, 500],
  ] as const) {
    const order = mulberry32(seed).shuffle(keys);
    const { findings } = await analyzeAndCorrelate(trail, order, { detectors: [detector], batchSize });
    assert.equal([...findings.items.keys()].sort(), expected, `seed ${seed}, batches of ${batchSize}`);
  }
});

test.run();
