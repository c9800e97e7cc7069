import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ec2SerialConsoleSshKey as detector } from '../../functions/detectors/ec2-serial-console-ssh-key.ts';
import { aCall } from '../helpers/records.ts';

const test = suite('ec2-serial-console-ssh-key');

test('matches a serial console key push at high', () => {
  const record = aCall('ec2-instance-connect.amazonaws.com', 'SendSerialConsoleSSHPublicKey', {
    instanceId: 'i-0a1b2c3d4e5f60789',
    serialPort: 0,
    sSHPublicKey: 'ssh-ed25519 AAAA',
  });
  assert.equal(detector.detect(record), {
    reason:
      "SendSerialConsoleSSHPublicKey requested by arn:aws:iam::123456789012:user/alice for instance 'i-0a1b2c3d4e5f60789'.",
  });
});

test('matches switching serial console access on at medium', () => {
  assert.is(detector.detect(aCall('ec2', 'EnableSerialConsoleAccess'))?.severity, 'medium');
});

test('ignores ordinary EC2 Instance Connect and reading the setting', () => {
  assert.is(
    detector.detect(
      aCall('ec2-instance-connect.amazonaws.com', 'SendSSHPublicKey', { instanceId: 'i-0a1b2c3d4e5f60789' }),
    ),
    undefined,
  );
  assert.is(detector.detect(aCall('ec2', 'GetSerialConsoleAccessStatus')), undefined);
});

test.run();
