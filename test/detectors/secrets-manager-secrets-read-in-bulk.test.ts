import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createSecretsManagerSecretsReadInBulk,
  secretsManagerSecretsReadInBulk as detector,
} from '../../functions/detectors/secrets-manager-secrets-read-in-bulk.ts';
import { assertOrderFree, timesFrom, verdictsOf } from '../helpers/correlation.ts';
import { aCall, aFailed, anAssumedRole } from '../helpers/records.ts';

const test = suite('secrets-manager-secrets-read-in-bulk');
// The documented shape: readOnly GetSecretValue with requestParameters.secretId.
const read = (secretId: string, eventTime: string) =>
  aCall('secretsmanager', 'GetSecretValue', { secretId }, { eventTime, readOnly: true });
const dump = (count: number, start = '2026-10-01T12:00:05Z') =>
  timesFrom(start, count).map((time, i) => read(`prod/db-${i}`, time));

test('flags one principal reading 10 distinct secrets within 10 minutes, once per window', async () => {
  const verdicts = await verdictsOf(detector, dump(12));
  assert.is(verdicts.length, 1);
  assert.is(verdicts[0]!.subject, '2026-10-01T12:00:00.000Z');
  assert.match(
    verdicts[0]!.match.reason ?? '',
    'arn:aws:iam::123456789012:user/alice read more than 10 distinct secrets',
  );
  assert.is(verdicts[0]!.record.eventTime, '2026-10-01T12:00:05Z');
});

test('ignores an application reading a few secrets, even many times', async () => {
  const times = timesFrom('2026-10-01T12:00:05Z', 40);
  assert.equal(
    await verdictsOf(
      detector,
      times.map((time, i) => read(`prod/db-${i % 3}`, time)),
    ),
    [],
  );
});

test('does not add up different principals', async () => {
  const records = dump(12).map((record, i) =>
    i % 2 ? { ...record, userIdentity: anAssumedRole('App', `s-${i}`) } : record,
  );
  assert.equal(await verdictsOf(detector, records), []);
});

test('counts a BatchGetSecretValue by filter (the documented catch-all) as a bulk read', async () => {
  const batch = aCall(
    'secretsmanager',
    'BatchGetSecretValue',
    { filters: [{ key: 'tag-key', values: ['!tagKeyThatWillNeverExist'] }] },
    { eventTime: '2026-10-01T12:00:05Z' },
  );
  assert.is((await verdictsOf(detector, [batch])).length, 1);
  const listed = aCall(
    'secretsmanager',
    'BatchGetSecretValue',
    { secretIdList: ['a', 'b'] },
    { eventTime: '2026-10-01T12:00:05Z' },
  );
  assert.equal(await verdictsOf(detector, [listed]), []);
});

test('reports a burst of failed reads one step lower, as attempts', async () => {
  const verdicts = await verdictsOf(
    detector,
    dump(10).map((record) => aFailed(record)),
  );
  assert.is(verdicts[0]!.match.severity, 'medium');
  assert.match(verdicts[0]!.match.title ?? '', 'failed attempts');
});

test('takes its threshold and window from options', async () => {
  const strict = createSecretsManagerSecretsReadInBulk({ threshold: 3, windowMinutes: 60 });
  assert.is((await verdictsOf(strict, dump(3))).length, 1);
  assert.throws(() => createSecretsManagerSecretsReadInBulk({ threshold: 0 }), /threshold/);
  assert.throws(() => createSecretsManagerSecretsReadInBulk({ threshold: 5000 }), /from 1 to 100/);
});

test('gives the same verdicts whatever the order of objects and records', async () => {
  await assertOrderFree(detector, [
    ...dump(11),
    ...dump(4, '2026-10-01T12:20:00Z'),
    ...dump(10, '2026-10-01T13:00:00Z'),
  ]);
});

test.run();
