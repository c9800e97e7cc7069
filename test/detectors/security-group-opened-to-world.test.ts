import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { securityGroupOpenedToWorld as detector } from '../../functions/detectors/security-group-opened-to-world.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('security-group-opened-to-world');
const permission = (port: number, ranges: { v4?: string[]; v6?: string[] }, protocol = 'tcp') => ({
  ipProtocol: protocol,
  fromPort: port,
  toPort: port,
  groups: {},
  ipRanges: ranges.v4 ? { items: ranges.v4.map((cidrIp) => ({ cidrIp })) } : {},
  ipv6Ranges: ranges.v6 ? { items: ranges.v6.map((cidrIpv6) => ({ cidrIpv6 })) } : {},
  prefixListIds: {},
});
const authorize = (...permissions: unknown[]) =>
  aCall('ec2', 'AuthorizeSecurityGroupIngress', { groupId: 'sg-0abc', ipPermissions: { items: permissions } });

test('matches HTTPS opened to 0.0.0.0/0 at medium', () => {
  assert.equal(detector.detect(authorize(permission(443, { v4: ['0.0.0.0/0'] }))), {
    reason: "AuthorizeSecurityGroupIngress allowed tcp/443 from 0.0.0.0/0 on security group 'sg-0abc'.",
  });
});

test('raises SSH opened to ::/0 to high', () => {
  const match = detector.detect(authorize(permission(22, { v6: ['::/0'] })));
  assert.is(match?.severity, 'high');
  assert.match(match?.reason ?? '', 'tcp/22 from ::/0');
});

test('raises all traffic to high', () => {
  const match = detector.detect(authorize({ ipProtocol: '-1', ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] } }));
  assert.is(match?.severity, 'high');
  assert.match(match?.reason ?? '', 'all traffic from 0.0.0.0/0');
});

test('matches the flat cidrIp form', () => {
  const record = aCall('ec2', 'AuthorizeSecurityGroupIngress', {
    groupName: 'web',
    cidrIp: '0.0.0.0/0',
    ipProtocol: 'tcp',
    fromPort: 3389,
    toPort: 3389,
  });
  assert.equal(detector.detect(record), {
    severity: 'high',
    reason: "AuthorizeSecurityGroupIngress allowed tcp/3389 from 0.0.0.0/0 on security group 'web'.",
  });
});

test('ignores private ranges such as 10.0.0.0/8', () => {
  assert.is(detector.detect(authorize(permission(22, { v4: ['10.0.0.0/8'], v6: ['fd00::/8'] }))), undefined);
});

test('ignores failed calls', () => {
  assert.is(
    detector.detect(aFailed(authorize(permission(22, { v4: ['0.0.0.0/0'] })), 'InvalidPermission.Duplicate')),
    undefined,
  );
});

test('ignores egress rules and DescribeSecurityGroups', () => {
  assert.is(
    detector.detect(
      aCall('ec2', 'AuthorizeSecurityGroupEgress', {
        groupId: 'sg-0abc',
        ipPermissions: { items: [permission(0, { v4: ['0.0.0.0/0'] }, '-1')] },
      }),
    ),
    undefined,
  );
  assert.is(detector.detect(aCall('ec2', 'DescribeSecurityGroups')), undefined);
});

test('matches any /0 range, IPv4 or IPv6, whatever its base address', () => {
  assert.match(
    detector.detect(authorize(permission(443, { v4: ['10.0.0.0/0'] })))?.reason ?? '',
    'tcp/443 from 10.0.0.0/0',
  );
  assert.match(
    detector.detect(authorize(permission(443, { v6: ['2001:db8::/0'] })))?.reason ?? '',
    'tcp/443 from 2001:db8::/0',
  );
});

test('matches the flat cidrIpv6 form', () => {
  const record = aCall('ec2', 'AuthorizeSecurityGroupIngress', {
    groupId: 'sg-0abc',
    cidrIpv6: '::/0',
    ipProtocol: 'tcp',
    fromPort: 22,
    toPort: 22,
  });
  assert.equal(detector.detect(record), {
    severity: 'high',
    reason: "AuthorizeSecurityGroupIngress allowed tcp/22 from ::/0 on security group 'sg-0abc'.",
  });
});

test('ignores wide but not world-wide ranges such as 0.0.0.0/1 and 2001:db8::/10', () => {
  assert.is(
    detector.detect(authorize(permission(22, { v4: ['0.0.0.0/1', '128.0.0.0/1'], v6: ['2001:db8::/10'] }))),
    undefined,
  );
});

test.run();
