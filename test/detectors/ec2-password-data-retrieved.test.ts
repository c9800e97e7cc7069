import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ec2PasswordDataRetrieved as detector } from '../../functions/detectors/ec2-password-data-retrieved.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('ec2-password-data-retrieved');
const getPassword = () => aCall('ec2', 'GetPasswordData', { instanceId: 'i-0a1b2c3d4e5f60789' }, { readOnly: true });

test('matches GetPasswordData for an instance', () => {
  assert.equal(detector.detect(getPassword()), {
    reason: "GetPasswordData requested by arn:aws:iam::123456789012:user/alice for instance 'i-0a1b2c3d4e5f60789'.",
  });
});

test('reports the documented denied probe one step lower', () => {
  assert.is(detector.detect(aFailed(getPassword(), 'Client.UnauthorizedOperation'))?.severity, 'low');
});

test('ignores other instance reads', () => {
  assert.is(detector.detect(aCall('ec2', 'GetConsoleOutput', { instanceId: 'i-0a1b2c3d4e5f60789' })), undefined);
});

test.run();
