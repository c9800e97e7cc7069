import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ssmParametersDecryptedInBulk as detector } from '../../functions/detectors/ssm-parameters-decrypted-in-bulk.ts';
import { assertOrderFree, timesFrom, verdictsOf } from '../helpers/correlation.ts';
import { aCall } from '../helpers/records.ts';

const test = suite('ssm-parameters-decrypted-in-bulk');
// The documented detonation: GetParameters in batches of 10 names with withDecryption true.
const batch = (from: number, eventTime: string, withDecryption: unknown = true) =>
  aCall(
    'ssm',
    'GetParameters',
    { names: Array.from({ length: 10 }, (_, i) => `/credentials/app/credentials-${from + i}`), withDecryption },
    { eventTime, readOnly: true },
  );

test('flags 30 SecureStrings decrypted in three GetParameters calls', async () => {
  const verdicts = await verdictsOf(
    detector,
    timesFrom('2026-10-01T12:00:00Z', 3).map((time, i) => batch(i * 10, time)),
  );
  assert.is(verdicts.length, 1);
  assert.match(verdicts[0]!.match.reason ?? '', 'decrypted more than 20 distinct parameters');
});

test('ignores reads without decryption', async () => {
  assert.equal(
    await verdictsOf(
      detector,
      timesFrom('2026-10-01T12:00:00Z', 3).map((time, i) => batch(i * 10, time, false)),
    ),
    [],
  );
});

test('ignores a service reading its ten parameters again and again', async () => {
  assert.equal(
    await verdictsOf(
      detector,
      timesFrom('2026-10-01T12:00:00Z', 20).map((time) => batch(0, time)),
    ),
    [],
  );
});

test('counts GetParameter with decryption one name at a time', async () => {
  const records = timesFrom('2026-10-01T12:00:00Z', 21).map((time, i) =>
    aCall('ssm', 'GetParameter', { name: `/p/${i}`, withDecryption: true }, { eventTime: time }),
  );
  assert.is((await verdictsOf(detector, records)).length, 1);
});

test('gives the same verdicts whatever the order of objects and records', async () => {
  await assertOrderFree(
    detector,
    timesFrom('2026-10-01T12:08:00Z', 6, 60).map((time, i) => batch(i * 5, time)),
  );
});

test.run();
