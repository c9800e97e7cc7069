import { parseAwsIpRanges } from '../../functions/core/addresses.ts';
import type { CloudTrailRecord, UserIdentity } from '../../functions/core/cloudtrail.ts';
import { aRecord, anInstanceSession } from './records.ts';

// Builders shared by the off-instance detector's tests (sessions, aggregate, decision, ranges).

export const INSTANCE = 'i-0a1b2c3d4e5f60789';
export const SDK = 'aws-sdk-go/1.44.0 (go1.21.5; linux; amd64)';
export const CLI = 'aws-cli/2.15.0 Python/3.11.6 Darwin/23.1.0 exe/x86_64';
export const ON_INSTANCE = '192.0.2.10';
export const THIEF = '203.0.113.66';

/** A small stand-in for ip-ranges.json: 192.0.2.0/24 and 198.51.100.0/25 play AWS's EC2 ranges. */
export const IP_RANGES_JSON = JSON.stringify({
  syncToken: '1700000000',
  createDate: '2023-11-14-22-13-20',
  prefixes: [
    { ip_prefix: '192.0.2.0/24', region: 'us-east-1', service: 'AMAZON', network_border_group: 'us-east-1' },
    { ip_prefix: '192.0.2.0/24', region: 'us-east-1', service: 'EC2', network_border_group: 'us-east-1' },
    { ip_prefix: '198.51.100.0/25', region: 'eu-west-1', service: 'AMAZON', network_border_group: 'eu-west-1' },
  ],
  ipv6_prefixes: [
    { ipv6_prefix: '2001:db8:1000::/36', region: 'us-east-1', service: 'AMAZON', network_border_group: 'us-east-1' },
  ],
});
export const RANGES = parseAwsIpRanges(IP_RANGES_JSON);

/**
 * A clock and a call builder of one test file: eventTimes one minute apart, in order, as the
 * caller sorts records within an object (each file gets its own clock, so files stay independent).
 */
export function instanceCalls() {
  let minute = 0;
  const nextTime = (): string => {
    minute++;
    return new Date(Date.UTC(2017, 10, 28, 19, 0) + minute * 60_000).toISOString().replace('.000Z', 'Z');
  };
  /** An instance session call from `ip`; `session` picks the identity (default: the instance's current session). */
  const call = (
    ip: string,
    overrides: Partial<CloudTrailRecord> = {},
    session: UserIdentity = anInstanceSession(),
  ): CloudTrailRecord =>
    aRecord({ userIdentity: session, sourceIPAddress: ip, userAgent: SDK, eventTime: nextTime(), ...overrides });
  return { nextTime, call };
}

/** An instance session of another instance or another credential rotation. */
export function sessionOf(instanceId: string, creationDate = '2017-11-28T18:00:00Z'): UserIdentity {
  const session = anInstanceSession(instanceId);
  return {
    ...session,
    sessionContext: { ...session.sessionContext, attributes: { creationDate, mfaAuthenticated: 'false' } },
  };
}
