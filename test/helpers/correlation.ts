import * as assert from 'uvu/assert';
import type { CloudTrailRecord } from '../../functions/core/cloudtrail.ts';
import { correlateInMemory, type CorrelatingDetector, type Verdict } from '../../functions/core/correlation.ts';
import { mulberry32 } from './prng.ts';

/** The verdicts of one log object holding `records`, as Correlate would give them. */
export function verdictsOf<A>(
  detector: CorrelatingDetector<A>,
  records: readonly CloudTrailRecord[],
  key = 'AWSLogs/123456789012/obj-1.json.gz',
): Promise<Verdict[]> {
  return correlateInMemory(detector, [{ key, records }]);
}

/**
 * Asserts that `records`, each kept in the log object it belongs to (record i in object i mod 3),
 * give the same verdicts whatever the order of the objects, of the records within them, and
 * with objects seen twice (a retried work item).
 */
export async function assertOrderFree<A>(
  detector: CorrelatingDetector<A>,
  records: readonly CloudTrailRecord[],
  seeds = [1, 2, 3, 4, 5, 6],
): Promise<void> {
  const objects = [0, 1, 2].map((n) => ({
    key: `AWSLogs/123456789012/obj-${n}.json.gz`,
    records: records.filter((_, i) => i % 3 === n),
  }));
  const expected = JSON.stringify(await correlateInMemory(detector, objects));
  for (const seed of seeds) {
    const rng = mulberry32(seed);
    const shuffled = rng.shuffle(objects).map((object) => ({ key: object.key, records: rng.shuffle(object.records) }));
    const retried = rng.chance(0.5) ? [...shuffled, shuffled[0]!] : shuffled;
    assert.is(
      JSON.stringify(await correlateInMemory(detector, retried)),
      expected,
      `seed ${seed} changed the verdicts`,
    );
  }
}

/** `count` eventTimes a few seconds apart from `start`. */
export function timesFrom(start: string, count: number, stepSeconds = 7): string[] {
  return Array.from({ length: count }, (_, i) =>
    new Date(Date.parse(start) + i * stepSeconds * 1000).toISOString().replace('.000', ''),
  );
}
