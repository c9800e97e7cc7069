import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ec2UserDataModified } from '../../functions/detectors/ec2-user-data-modified.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('ec2-user-data-modified');
const modify = (params: Record<string, unknown>) =>
  aCall('ec2', 'ModifyInstanceAttribute', { instanceId: 'i-0abc', ...params });

test('matches new user data and names the instance', () => {
  assert.equal(ec2UserDataModified.detect(modify({ userData: '<sensitiveDataRemoved>' })), {
    reason: "ModifyInstanceAttribute requested new user data for instance 'i-0abc'.",
  });
});

test('matches the attribute/value form', () => {
  assert.ok(ec2UserDataModified.detect(modify({ attribute: 'userData', value: '<sensitiveDataRemoved>' })));
});

test('reports a failed change one step lower', () => {
  assert.is(ec2UserDataModified.detect(aFailed(modify({ userData: 'x' }), 'IncorrectInstanceState'))?.severity, 'low');
});

test('ignores other instance attributes', () => {
  assert.is(ec2UserDataModified.detect(modify({ instanceType: { value: 't3.large' } })), undefined);
  assert.is(ec2UserDataModified.detect(modify({ userData: null })), undefined);
});

test('ignores DescribeInstanceAttribute for user data', () => {
  assert.is(
    ec2UserDataModified.detect(
      aCall('ec2', 'DescribeInstanceAttribute', { instanceId: 'i-0abc', attribute: 'userData' }),
    ),
    undefined,
  );
});

test.run();
