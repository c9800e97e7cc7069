import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sesEnumeration as detector } from '../../functions/detectors/ses-enumeration.ts';
import { assertOrderFree, timesFrom, verdictsOf } from '../helpers/correlation.ts';
import { aCall } from '../helpers/records.ts';

const test = suite('ses-enumeration');
const call = (eventName: string, eventTime: string) => aCall('ses', eventName, null, { eventTime, readOnly: true });
const detonation = ['GetAccountSendingEnabled', 'GetSendQuota', 'ListIdentities', 'GetIdentityVerificationAttributes'];

test('flags the documented enumeration: sending enabled, quota, identities', async () => {
  const verdicts = await verdictsOf(
    detector,
    timesFrom('2026-10-01T12:00:00Z', 4).map((time, i) => call(detonation[i]!, time)),
  );
  assert.is(verdicts.length, 1);
  assert.match(verdicts[0]!.match.reason ?? '', 'made more than 3 distinct SES discovery calls');
});

test('ignores one call repeated and sending mail', async () => {
  const records = timesFrom('2026-10-01T12:00:00Z', 5).map((time) => call('GetSendQuota', time));
  assert.equal(await verdictsOf(detector, [...records, call('SendEmail', '2026-10-01T12:00:00Z')]), []);
});

test('gives the same verdicts whatever the order of objects and records', async () => {
  await assertOrderFree(
    detector,
    timesFrom('2026-10-01T12:07:00Z', 8, 45).map((time, i) => call(detonation[i % 4]!, time)),
  );
});

test.run();
