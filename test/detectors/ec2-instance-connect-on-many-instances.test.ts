import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ec2InstanceConnectOnManyInstances as detector } from '../../functions/detectors/ec2-instance-connect-on-many-instances.ts';
import { assertOrderFree, timesFrom, verdictsOf } from '../helpers/correlation.ts';
import { aCall } from '../helpers/records.ts';

const test = suite('ec2-instance-connect-on-many-instances');
// The documented shape: ec2-instance-connect SendSSHPublicKey with instanceId and instanceOSUser.
const push = (instanceId: string, eventTime: string) =>
  aCall(
    'ec2-instance-connect.amazonaws.com',
    'SendSSHPublicKey',
    { instanceId, instanceOSUser: 'ec2-user', sSHPublicKey: 'ssh-ed25519 AAAA...' },
    { eventTime },
  );

test('flags keys pushed to three instances within ten minutes', async () => {
  const verdicts = await verdictsOf(
    detector,
    timesFrom('2026-10-01T12:00:00Z', 3).map((time, i) => push(`i-0a1b2c3d4e5f6078${i}`, time)),
  );
  assert.is(verdicts.length, 1);
  assert.match(verdicts[0]!.match.reason ?? '', 'pushed SSH keys to 3 distinct instances');
});

test('ignores an operator connecting to one instance repeatedly', async () => {
  assert.equal(
    await verdictsOf(
      detector,
      timesFrom('2026-10-01T12:00:00Z', 5).map((time) => push('i-0a1b2c3d4e5f60780', time)),
    ),
    [],
  );
});

test('ignores the serial console call, which another detector owns', async () => {
  const serial = aCall('ec2-instance-connect.amazonaws.com', 'SendSerialConsoleSSHPublicKey', {
    instanceId: 'i-0a1b2c3d4e5f60781',
  });
  assert.equal(await verdictsOf(detector, [serial]), []);
});

test('gives the same verdicts whatever the order of objects and records', async () => {
  await assertOrderFree(
    detector,
    timesFrom('2026-10-01T12:08:00Z', 6, 50).map((time, i) => push(`i-0a1b2c3d4e5f6078${i}`, time)),
  );
});

test.run();
