import { gunzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { AggregateCollector } from '../../functions/analyze/aggregates.ts';
import type { CloudTrailRecord } from '../../functions/core/cloudtrail.ts';
import type { CorrelatingDetector } from '../../functions/core/correlation.ts';
import type { Detector } from '../../functions/core/detector.ts';
import { ec2InstanceCredentialsOffInstance } from '../../functions/detectors/ec2-instance-credentials-off-instance.ts';
import { BUILT_IN_DETECTORS } from '../../functions/detectors/index.ts';
import { hostileInstanceCalls } from '../helpers/instance-calls.ts';
import { generateFleet } from '../helpers/instance-fleet.ts';
import { ordinaryAccountDay } from '../helpers/ordinary-accounts.ts';
import { mulberry32 } from '../helpers/prng.ts';
import { canonical, randomSplits } from '../helpers/canonical.ts';

// Analyze's aggregates (functions/analyze/aggregates.ts) are the same whether the correlating
// detectors join records in place (observeInto) or observe and merge.

// ------------------------------------------------------------------------------------------------
const Collector = suite('AggregateCollector with and without observeInto');

/** The built-in detectors, each correlating one with its observeInto removed. */
const withoutFold = (detectors: readonly Detector[]): Detector[] =>
  detectors.map((d) => (d.kind === 'correlating' ? ({ ...d, observeInto: undefined } as CorrelatingDetector) : d));

function drained(detectors: readonly Detector[], items: readonly CloudTrailRecord[][]): string[] {
  return items.map((item, i) => {
    const collector = new AggregateCollector(detectors);
    // Analyze gives the collector decoded records: objects (other values: detectors/instance-fold.test.ts).
    for (const record of item) if (record && typeof record === 'object') collector.observe(record, `object-${i}`);
    assert.equal([...collector.errors], []);
    return canonical(collector.drain());
  });
}

Collector('drains the same aggregates for a fleet, an ordinary day and hostile calls, in any split', () => {
  const rng = mulberry32(29);
  const fleet = generateFleet({ seed: 5, hours: 6, instances: 12, thefts: 3 });
  const records = [
    ...[...fleet.trail.objects.values()].flatMap(({ body }) => JSON.parse(gunzipSync(body).toString()).Records),
    ...ordinaryAccountDay(3).slice(0, 6000),
    ...hostileInstanceCalls(rng, 1500),
  ];
  assert.ok(BUILT_IN_DETECTORS.includes(ec2InstanceCredentialsOffInstance));
  const plain = withoutFold(BUILT_IN_DETECTORS);
  for (let round = 0; round < 3; round++) {
    const items = randomSplits(rng, rng.shuffle(records), 1 + round * 3);
    const expected = drained(plain, items);
    // Not vacuous: the off-instance and burst detectors' aggregates are in there.
    for (const id of ['instance|', 'secrets-manager-secrets-read-in-bulk', 'ssm-parameters-decrypted-in-bulk'])
      assert.ok(
        expected.some((json) => json.includes(`"${id}`)),
        id,
      );
    assert.equal(drained(BUILT_IN_DETECTORS, items), expected);
  }
});

Collector('a detector whose observeInto throws loses that record only, and is reported once', () => {
  let calls = 0;
  const flaky: CorrelatingDetector<number> = {
    kind: 'correlating',
    meta: { ...ec2InstanceCredentialsOffInstance.meta, id: 'flaky' },
    observe: () => [{ key: 'k', aggregate: 1 }],
    merge: (a, b) => a + b,
    observeInto(_record, _objectKey, joined) {
      calls++;
      if (calls % 2 === 0) throw new Error(`bad record ${calls}`);
      joined.set('k', (joined.get('k') ?? 0) + 1);
    },
    judge: () => [],
  };
  const collector = new AggregateCollector([flaky, ...BUILT_IN_DETECTORS]);
  const records = ordinaryAccountDay(3).slice(0, 400);
  for (const record of records) collector.observe(record, 'object');
  assert.equal([...collector.errors], [['flaky', 'bad record 2']]);
  const { aggregates } = collector.drain();
  assert.equal(aggregates.find((a) => a.detector === 'flaky')?.aggregate, records.length / 2);
  assert.ok(aggregates.length > 1);
});

Collector.run();
