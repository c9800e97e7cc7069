import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ec2UserDataDownloaded as detector } from '../../functions/detectors/ec2-user-data-downloaded.ts';
import { assertOrderFree, timesFrom, verdictsOf } from '../helpers/correlation.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('ec2-user-data-downloaded');
// The documented shape: DescribeInstanceAttribute with attribute userData.
const describe = (instanceId: string, eventTime: string, attribute = 'userData') =>
  aCall('ec2', 'DescribeInstanceAttribute', { instanceId, attribute }, { eventTime, readOnly: true });

test('flags user data read from three instances, failed probes one step lower', async () => {
  const records = timesFrom('2026-10-01T12:00:00Z', 3).map((time, i) => describe(`i-0a1b2c3d4e5f6078${i}`, time));
  assert.is((await verdictsOf(detector, records))[0]!.match.severity, undefined);
  assert.is(
    (
      await verdictsOf(
        detector,
        records.map((record) => aFailed(record, 'Client.UnauthorizedOperation')),
      )
    )[0]!.match.severity,
    'low',
  );
});

test('ignores other attributes and a single instance', async () => {
  const records = timesFrom('2026-10-01T12:00:00Z', 3).map((time, i) =>
    describe(`i-0a1b2c3d4e5f6078${i}`, time, 'instanceType'),
  );
  assert.equal(await verdictsOf(detector, [...records, describe('i-0a1b2c3d4e5f60780', '2026-10-01T12:00:00Z')]), []);
});

test('gives the same verdicts whatever the order of objects and records', async () => {
  await assertOrderFree(
    detector,
    timesFrom('2026-10-01T12:08:00Z', 6, 50).map((time, i) => describe(`i-0a1b2c3d4e5f6078${i}`, time)),
  );
});

test.run();
