import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createEc2UnusualInstanceLaunched,
  ec2UnusualInstanceLaunched as detector,
} from '../../functions/detectors/ec2-unusual-instance-launched.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('ec2-unusual-instance-launched');
// The documented detonation: RunInstances p2.xlarge, maxCount 10, denied.
const run = (instanceType: string, maxCount = 1) =>
  aCall('ec2', 'RunInstances', {
    instanceType,
    instancesSet: { items: [{ imageId: 'ami-0abc', minCount: 1, maxCount }] },
    subnetId: 'subnet-0abc',
  });

test('matches a GPU launch, and the denied attempt one step lower', () => {
  assert.equal(detector.detect(run('p2.xlarge', 10)), {
    reason:
      'RunInstances by arn:aws:iam::123456789012:user/alice requested instance type p2.xlarge (up to 10) in us-east-1.',
  });
  assert.is(detector.detect(aFailed(run('p2.xlarge', 10), 'Client.UnauthorizedOperation'))?.severity, 'medium');
});

test('matches very many ordinary instances in one call', () => {
  assert.match(detector.detect(run('t3.micro', 50))?.reason ?? '', 'requested 50 instances');
});

test('ignores ordinary launches and families the user marks usual', () => {
  assert.is(detector.detect(run('m7g.large', 2)), undefined);
  assert.is(createEc2UnusualInstanceLaunched({ usualFamilies: ['g5'] }).detect(run('g5.xlarge')), undefined);
  assert.ok(createEc2UnusualInstanceLaunched({ unusualFamilies: ['c7i'] }).detect(run('c7i.48xlarge')));
});

test.run();
