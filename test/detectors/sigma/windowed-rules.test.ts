import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CloudTrailRecord } from '../../../functions/core/cloudtrail.ts';
import { correlateInMemory, type CorrelatingDetector } from '../../../functions/core/correlation.ts';
import { parseAggregation, parseTimespan } from '../../../functions/detectors/sigma/aggregation.ts';
import { SigmaRuleError } from '../../../functions/detectors/sigma/errors.ts';
import { loadSigmaFolder } from '../../../functions/detectors/sigma/loader.ts';
import { aRecord, anIamUser } from '../../helpers/records.ts';

const BASE = Date.parse('2017-11-28T19:00:00Z');

function call(eventName: string, secondsAfter: number, overrides: Partial<CloudTrailRecord> = {}): CloudTrailRecord {
  return aRecord({ eventName, eventTime: new Date(BASE + secondsAfter * 1000).toISOString(), ...overrides });
}

const HEAD = 'logsource:\n  product: aws\n  service: cloudtrail\n';

/** Loads `yaml` as one rule file and returns its correlating detectors, failing on any refusal. */
async function correlating(yaml: string): Promise<CorrelatingDetector[]> {
  const folder = await mkdtemp(join(tmpdir(), 'sigma-window-'));
  try {
    await writeFile(join(folder, 'rule.yml'), yaml);
    const { detectors, refused } = await loadSigmaFolder(folder);
    assert.equal(refused, []);
    return detectors.filter((d): d is CorrelatingDetector => d.kind === 'correlating');
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

async function refusedReason(yaml: string): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'sigma-window-'));
  try {
    await writeFile(join(folder, 'rule.yml'), yaml);
    const { refused } = await loadSigmaFolder(folder);
    assert.is(refused.length, 1, 'rule was loaded');
    return refused[0]!.reason;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

const verdictCount = async (detector: CorrelatingDetector, records: CloudTrailRecord[]) =>
  (await correlateInMemory(detector, [{ key: 'AWSLogs/o.json.gz', records }])).length;

const Aggregation = suite('Sigma 1 aggregations');

Aggregation(
  'count() by field > N counts events per group within the timeframe (SigmaHQ mass secret retrieval shape)',
  async () => {
    const [detector] = await correlating(
      `title: Mass Secrets\n${HEAD}detection:\n  selection:\n    eventName: [GetSecretValue, BatchGetSecretValue]\n  condition: selection | count() by userIdentity.arn > 3\ntimeframe: 5m\n`,
    );
    const reads = (n: number, arn = 'arn:aws:iam::123456789012:user/alice') =>
      Array.from({ length: n }, (_, i) => call('GetSecretValue', i * 10, { userIdentity: anIamUser({ arn }) }));
    assert.is(await verdictCount(detector!, reads(4)), 1);
    assert.is(await verdictCount(detector!, reads(3)), 0);
    assert.is(await verdictCount(detector!, [...reads(2), ...reads(2, 'arn:aws:iam::123456789012:user/bob')]), 0);
  },
);

Aggregation('count(field) counts distinct values, with a filter in the search (SigmaHQ Bedrock shape)', async () => {
  const [detector] = await correlating(
    `title: Recon\n${HEAD}detection:\n  selection:\n    eventSource: ec2.amazonaws.com\n  filter_main_error:\n    errorCode|exists: true\n` +
      `  condition: selection and not filter_main_error | count(eventName) by userIdentity.arn >= 3\n  timeframe: 5m\n`,
  );
  const names = ['DescribeInstances', 'DescribeVpcs', 'DescribeSubnets'];
  assert.is(
    await verdictCount(
      detector!,
      names.map((name, i) => call(name, i)),
    ),
    1,
  );
  assert.is(
    await verdictCount(
      detector!,
      [...names.slice(0, 2), 'DescribeInstances', 'DescribeVpcs'].map((name, i) => call(name, i)),
    ),
    0,
  );
  assert.is(
    await verdictCount(
      detector!,
      names.map((name, i) => call(name, i, i === 2 ? { errorCode: 'AccessDenied' } : {})),
    ),
    0,
  );
});

Aggregation(
  'without a timeframe, counts in any 24h window and says so at load, naming the rule (SigmaHQ mass secret retrieval)',
  async () => {
    // Our own copy of the shape of SigmaHQ's aws_secretsmanager_mass_secret_retrieval: no timeframe.
    const yaml =
      `title: Many Secrets Read\n${HEAD}detection:\n  selection:\n    eventSource: secretsmanager.amazonaws.com\n` +
      '    eventName: [GetSecretValue, BatchGetSecretValue]\n  condition: selection | count() by userIdentity.arn > 20\n';
    const folder = await mkdtemp(join(tmpdir(), 'sigma-window-'));
    try {
      await writeFile(join(folder, 'rule.yml'), yaml);
      const { detectors, refused, notes } = await loadSigmaFolder(folder);
      assert.equal(refused, []);
      assert.equal(notes, [
        {
          file: join(folder, 'rule.yml'),
          rule: 'sigma-many-secrets-read',
          note:
            "'| count() by userIdentity.arn > 20' has no timeframe: counted in any 24h window " +
            "(the longest the correlation stage keeps); add 'timeframe:' to the rule to narrow it",
        },
      ]);
      const detector = detectors[0] as CorrelatingDetector;
      const alice = anIamUser({ arn: 'arn:aws:iam::123456789012:user/alice' });
      const reads = (n: number, spacingSeconds: number) =>
        Array.from({ length: n }, (_, i) =>
          call('GetSecretValue', i * spacingSeconds, {
            eventSource: 'secretsmanager.amazonaws.com',
            eventID: `read-${i}`,
            userIdentity: alice,
          }),
        );
      // 21 reads an hour apart: 20 h, inside one day even though they cross midnight UTC.
      assert.is(await verdictCount(detector, reads(21, 3600)), 1);
      assert.is(await verdictCount(detector, reads(21, 3600).reverse()), 1);
      assert.is(await verdictCount(detector, reads(20, 60)), 0);
      // 21 reads 72 minutes apart span 24 h exactly: no half-open 24 h window holds all of them.
      assert.is(await verdictCount(detector, reads(21, 72 * 60)), 0);
      const [verdict] = await correlateInMemory(detector, [{ key: 'AWSLogs/o.json.gz', records: reads(21, 3600) }]);
      assert.match(verdict?.match.reason ?? '', 'at least 21 events within 1d for userIdentity.arn=');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  },
);

Aggregation('refuses what a bounded window cannot judge, naming the construct', async () => {
  const rule = (condition: string, extra = 'timeframe: 5m\n') =>
    `title: T\n${HEAD}detection:\n  selection:\n    eventName: x\n  condition: ${condition}\n${extra}`;
  assert.match(await refusedReason(rule('selection | count() < 5')), "'count < N' is not supported");
  assert.match(await refusedReason(rule('selection | max(x) > 5')), "aggregation function 'max' is not supported");
  assert.match(
    await refusedReason(rule('selection | near other')),
    "'near' (Sigma 1 temporal proximity) is not supported",
  );
  assert.match(await refusedReason(rule('selection | count() > 500')), "over this engine's bound");
  assert.match(await refusedReason(rule('selection | count() > 5', 'timeframe: 3w\n')), 'is not a time span');
  assert.match(await refusedReason(rule('selection | count() > 5', 'timeframe: 30d\n')), 'longer than 24h');
});

Aggregation.run();

const Parse = suite('parseAggregation and parseTimespan');

Parse('reads count, the counted field, several group-by fields and > or >=', () => {
  assert.equal(parseAggregation('count() by userIdentity.arn > 20', 'c'), {
    groupBy: ['userIdentity.arn'],
    threshold: 21,
  });
  assert.equal(parseAggregation('COUNT(eventName) by a.b, c >= 6', 'c'), {
    field: 'eventName',
    groupBy: ['a.b', 'c'],
    threshold: 6,
  });
  assert.equal(parseAggregation('count()>0', 'c'), { groupBy: [], threshold: 1 });
  assert.throws(
    () => parseAggregation('count() by a b > 1', 'c'),
    (error: unknown) => error instanceof SigmaRuleError,
  );
  assert.is(parseTimespan('90s', 'timeframe'), 90_000);
  assert.is(parseTimespan('1d', 'timespan'), 86_400_000);
});

Parse.run();

const Correlation = suite('Sigma correlation rules');

const BASE_RULES = `title: Failed Login\nname: failed_login\n${HEAD}detection:\n  selection:\n    eventName: ConsoleLogin\n    errorMessage: Failed authentication\n  condition: selection\n---\ntitle: Stop Logging\nname: stop_logging\n${HEAD}detection:\n  selection:\n    eventName: StopLogging\n  condition: selection\n---\ntitle: Recon\nname: recon\n${HEAD}detection:\n  selection:\n    eventName: ListBuckets\n  condition: selection\n`;

Correlation('event_count: events of the referenced rules per group', async () => {
  const [detector] = await correlating(
    `${BASE_RULES}---\ntitle: Guessing\ncorrelation:\n  type: event_count\n  rules: [failed_login]\n  group-by: [sourceIPAddress]\n  timespan: 10m\n  condition:\n    gt: 2\n`,
  );
  const fail = (i: number, ip = '203.0.113.5') =>
    call('ConsoleLogin', i * 30, { errorMessage: 'Failed authentication', sourceIPAddress: ip });
  assert.is(await verdictCount(detector!, [fail(0), fail(1), fail(2)]), 1);
  assert.is(await verdictCount(detector!, [fail(0), fail(1), fail(2, '198.51.100.1')]), 0);
});

Correlation("value_count: distinct values of a field among the referenced rules' events", async () => {
  const [detector] = await correlating(
    `${BASE_RULES}---\ntitle: Spray\ncorrelation:\n  type: value_count\n  rules: [failed_login]\n  group-by: [sourceIPAddress]\n  timespan: 10m\n  condition:\n    field: userIdentity.userName\n    gte: 3\n`,
  );
  const fail = (i: number, user: string) =>
    call('ConsoleLogin', i * 30, {
      errorMessage: 'Failed authentication',
      userIdentity: anIamUser({ userName: user }),
    });
  assert.is(await verdictCount(detector!, [fail(0, 'alice'), fail(1, 'bob'), fail(2, 'carol')]), 1);
  assert.is(await verdictCount(detector!, [fail(0, 'alice'), fail(1, 'alice'), fail(2, 'bob')]), 0);
});

Correlation('temporal: every referenced rule fires for the group within the timespan, in any order', async () => {
  const detectors = await correlating(
    `${BASE_RULES}---\ntitle: Recon Then Blind\ncorrelation:\n  type: temporal\n  rules: [recon, stop_logging]\n  group-by: [userIdentity.arn]\n  timespan: 15m\n`,
  );
  const detector = detectors.find((d) => d.meta.id === 'sigma-recon-then-blind')!;
  assert.is(await verdictCount(detector, [call('StopLogging', 0), call('ListBuckets', 600)]), 1);
  assert.is(await verdictCount(detector, [call('ListBuckets', 0), call('StopLogging', 900)]), 0);
  assert.is(await verdictCount(detector, [call('ListBuckets', 0), call('ListBuckets', 60)]), 0);
});

Correlation('refuses unsupported correlation forms with a reason', async () => {
  const corr = (body: string) => `${BASE_RULES}---\ntitle: C\ncorrelation:\n${body}`;
  assert.match(
    await refusedReason(corr('  type: temporal_ordered\n  rules: [recon, stop_logging]\n  timespan: 5m\n')),
    "'temporal_ordered' is not supported",
  );
  assert.match(
    await refusedReason(corr('  type: event_count\n  rules: [recon]\n  timespan: 5m\n  condition: {lt: 3}\n')),
    "condition 'lt' is not supported",
  );
  assert.match(
    await refusedReason(corr('  type: event_count\n  rules: [nope]\n  timespan: 5m\n  condition: {gte: 3}\n')),
    "refers to rule 'nope'",
  );
  assert.match(
    await refusedReason(corr('  type: value_count\n  rules: [recon]\n  timespan: 5m\n  condition: {gte: 3}\n')),
    "needs 'field'",
  );
});

Correlation.run();
