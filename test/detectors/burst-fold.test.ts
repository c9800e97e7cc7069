import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CloudTrailRecord } from '../../functions/core/cloudtrail.ts';
import type { CorrelatingDetector } from '../../functions/core/correlation.ts';
import type { BurstAggregate } from '../../functions/detectors/burst.ts';
import { createSecretsManagerSecretsReadInBulk } from '../../functions/detectors/secrets-manager-secrets-read-in-bulk.ts';
import { createSsmParametersDecryptedInBulk } from '../../functions/detectors/ssm-parameters-decrypted-in-bulk.ts';
import { mulberry32, type Rng } from '../helpers/prng.ts';
import { canonical } from '../helpers/canonical.ts';
import { aCall, anIamUser, anInstanceSession } from '../helpers/records.ts';

// The burst detectors' in-place fold (observeInto in functions/detectors/burst.ts) against its
// reference: observe, then each observation set or joined into the work item's map with merge.

type Joined = Map<string, BurstAggregate>;

function reference(d: CorrelatingDetector<BurstAggregate>, records: readonly [CloudTrailRecord, string][]): Joined {
  const joined: Joined = new Map();
  for (const [record, objectKey] of records)
    for (const { key, aggregate } of d.observe(record, objectKey) ?? []) {
      const known = joined.get(key);
      joined.set(key, known === undefined ? aggregate : d.merge(known, aggregate));
    }
  return joined;
}

function folded(d: CorrelatingDetector<BurstAggregate>, records: readonly [CloudTrailRecord, string][]): Joined {
  const joined: Joined = new Map();
  for (const [record, objectKey] of records) d.observeInto!(record, objectKey, joined);
  return joined;
}

/**
 * Reads by a few principals over two days: windows reached and not, many items per call, the
 * same time with other eventIDs and the same eventID twice, failures, and hostile fields
 * (missing, odd types, huge, quotes and control characters).
 */
function reads(rng: Rng, count: number): [CloudTrailRecord, string][] {
  const principals = [
    anIamUser(),
    anIamUser({ arn: 'arn:aws:iam::123456789012:user/bob', userName: 'bob' }),
    anInstanceSession(),
    { type: 'IAMUser', arn: `arn:aws:iam::123456789012:user/${'x'.repeat(2000)}`, extra: 'y'.repeat(9000) },
  ];
  const minutes = Array.from({ length: 40 }, () => rng.int(0, 2 * 1440 - 1));
  const records: [CloudTrailRecord, string][] = [];
  for (let i = 0; i < count; i++) {
    const minute = rng.pick(minutes);
    let eventTime: unknown = new Date(Date.parse('2026-10-01T00:00:00Z') + minute * 60_000 + rng.int(0, 2) * 1000)
      .toISOString()
      .replace(rng.chance(0.5) ? '.000Z' : '', rng.chance(0.5) ? 'Z' : '');
    const item = () =>
      rng.chance(0.05) ? `huge-"\u0001${'s'.repeat(rng.int(40, 700))}-${rng.int(0, 3)}` : `secret-${rng.int(0, 30)}`;
    const overrides: Record<string, unknown> = {
      userIdentity: rng.pick(principals),
      eventID: rng.chance(0.1) ? undefined : `e-${rng.int(0, 60)}`,
      sourceIPAddress: rng.pick(['192.0.2.10', '198.51.100.7', '"'.repeat(300), 7]),
      userAgent: rng.pick(['aws-cli/2.15.0', '\u00e9'.repeat(5000), undefined]),
      recipientAccountId: rng.pick(['123456789012', '210987654321']),
    };
    if (rng.chance(0.1)) overrides.errorCode = rng.pick(['AccessDenied', 'x'.repeat(900)]);
    if (rng.chance(0.02)) eventTime = rng.pick([42, 'not a time', undefined, '2026-13-45T99:99:99Z']);
    overrides.eventTime = eventTime;
    const shape = rng.int(0, 9);
    const record =
      shape < 6
        ? aCall('secretsmanager', 'GetSecretValue', { secretId: rng.chance(0.02) ? 42 : item() }, overrides)
        : shape < 8
          ? aCall(
              'secretsmanager',
              'BatchGetSecretValue',
              { secretIdList: Array.from({ length: rng.int(0, 25) }, item) },
              overrides,
            )
          : aCall(
              'ssm',
              rng.pick(['GetParameter', 'GetParameters', 'GetParametersByPath']),
              {
                withDecryption: rng.pick([true, 'true', false]),
                name: item(),
                names: Array.from({ length: rng.int(0, 30) }, item),
                path: rng.pick(['/app', '/app/db', undefined]),
              },
              overrides,
            );
    records.push([record, rng.pick(['o-1', 'o-2', `o-${'k'.repeat(400)}`])]);
  }
  // The same call twice, in two objects: the earlier object key, then the content, decides.
  const [twin, objectKey] = records[0]!;
  records.push([{ ...twin }, objectKey], [{ ...twin, awsRegion: 'eu-west-1' }, objectKey], [{ ...twin }, 'o-0']);
  return records;
}

// ------------------------------------------------------------------------------------------------
const Fold = suite('burst observeInto');

Fold('joins as observe and accumulate do, for any order and split, up to the size budget', () => {
  const rng = mulberry32(41);
  const detectors = [
    createSecretsManagerSecretsReadInBulk({}),
    createSecretsManagerSecretsReadInBulk({ threshold: 100, windowMinutes: 1 }),
    createSsmParametersDecryptedInBulk({ threshold: 3, windowMinutes: 7 }),
  ];
  const records = reads(rng, 2500);
  for (const d of detectors) {
    const whole = reference(d, records);
    assert.ok(whole.size > 4, d.meta.id);
    assert.is(canonical(folded(d, records)), canonical(whole), d.meta.id);
    for (let round = 0; round < 2; round++) {
      const shuffled = rng.shuffle(records);
      let from = 0;
      while (from < shuffled.length) {
        const item = shuffled.slice(from, (from += rng.int(1, 2000)));
        assert.is(canonical(folded(d, item)), canonical(reference(d, item)), `${d.meta.id} round ${round}`);
      }
    }
  }
});

Fold('meets the size budget as the reference meets it', () => {
  // A principal reading 120 large secrets a minute in 1-minute windows: the budget drops the latest.
  const wide = createSecretsManagerSecretsReadInBulk({ threshold: 100, windowMinutes: 1 });
  const records = Array.from({ length: 40 }, (_, minute): [CloudTrailRecord, string] => [
    aCall(
      'secretsmanager',
      'BatchGetSecretValue',
      { secretIdList: Array.from({ length: 120 }, (_, j) => `${minute}-${j}-${'s'.repeat(60)}`) },
      { eventTime: new Date(Date.parse('2026-10-01T00:00:00Z') + minute * 60_000).toISOString() },
    ),
    'k',
  ]);
  const kept = Object.keys([...reference(wide, records).values()][0]!.windows).length;
  assert.ok(kept > 5 && kept < 40, `${kept} windows`);
  for (const order of [records, [...records].reverse()])
    assert.is(canonical(folded(wide, order)), canonical(reference(wide, order)));
});

Fold.run();
