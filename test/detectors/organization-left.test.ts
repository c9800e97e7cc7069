import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { organizationLeft } from '../../functions/detectors/organization-left.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('organization-left');

test('matches LeaveOrganization and names the account', () => {
  assert.equal(organizationLeft.detect(aCall('organizations', 'LeaveOrganization')), {
    reason: 'LeaveOrganization requested by account 123456789012.',
  });
});

test('reports a failed attempt one step lower', () => {
  const match = organizationLeft.detect(
    aFailed(aCall('organizations', 'LeaveOrganization'), 'ConstraintViolationException'),
  );
  assert.is(match?.severity, 'medium');
  assert.is(match?.title, 'Account left the organization (failed attempt)');
});

test('ignores DescribeOrganization and RemoveAccountFromOrganization', () => {
  assert.is(organizationLeft.detect(aCall('organizations', 'DescribeOrganization')), undefined);
  assert.is(
    organizationLeft.detect(aCall('organizations', 'RemoveAccountFromOrganization', { accountId: '999988887777' })),
    undefined,
  );
});

test.run();
