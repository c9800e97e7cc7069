import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LOCAL_TABLES } from '../../cli/local/store.ts';
import { queryFindings } from '../../functions/adapters/dynamodb.ts';
import { BUILT_IN_DETECTORS } from '../../functions/detectors/index.ts';
import { compileSigmaYaml } from '../../functions/detectors/sigma/loader.ts';
import { MemoryTrail } from '../helpers/fakes.ts';
import { localHarness } from '../helpers/local.ts';
import { aRecord } from '../helpers/records.ts';

// An attacker picks their own user agent: 34 `a`s and `!` against `^(a+)+$` takes a backtracking
// engine about 2^34 steps, so before the linear-time engine this run never finished.
const CATASTROPHIC_RULE = `title: Repeated A Agent
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    userAgent|re: '^(a+)+$'
  condition: selection
level: high
`;

const pipeline = suite('a Sigma rule with a catastrophic regex through the real state machine');

pipeline('the run succeeds at once and the rule finds exactly the matching record', async () => {
  const h = await localHarness();
  try {
    const rule = compileSigmaYaml(CATASTROPHIC_RULE, 'examples/catastrophic.yml');
    const hostile = aRecord({ userAgent: `${'a'.repeat(34)}!`, eventTime: '2017-11-28T19:05:00Z' });
    const matching = aRecord({ userAgent: 'a'.repeat(34), eventTime: '2017-11-28T19:06:00Z' });
    const ordinary = aRecord({ eventTime: '2017-11-28T19:07:00Z' });
    const key =
      'AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/28/123456789012_CloudTrail_us-east-1_20171128T1905Z_a.json.gz';
    const trail = new MemoryTrail().putRecords(key, [hostile, matching, ordinary]);
    const result = await h.run({
      lister: trail,
      reader: trail,
      input: { mode: 'backfill', from: '2017-11-28', to: '2017-11-28' },
      detectors: [...BUILT_IN_DETECTORS, rule],
    });
    assert.is(result.status, 'SUCCEEDED');
    assert.equal(result.summary?.objects, { listed: 1, analyzed: 1, skipped: 0, failed: 0 });
    const found = await queryFindings(h.store.client, LOCAL_TABLES.findings, { detector: rule.meta.id, limit: 10 }, [
      rule.meta.id,
    ]);
    assert.equal(
      found.map((finding) => finding.eventID),
      [matching.eventID],
    );
    assert.is(result.summary?.findings.byDetector[rule.meta.id], 1);
  } finally {
    await h.close();
  }
});

pipeline.run();
