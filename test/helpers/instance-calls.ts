import { parseAwsIpRanges } from '../../functions/core/addresses.ts';
import type { CloudTrailRecord, UserIdentity } from '../../functions/core/cloudtrail.ts';
import type { Rng } from './prng.ts';
import { aRecord, anIamUser, anInstanceSession } from './records.ts';

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

const HOSTILE_ACCOUNT = '123456789012';
const HOSTILE_INSTANCES = ['i-0a1b2c3d4e5f60789', 'i-0A1B2C3D4E5F60789', 'i-0f0e0d0c0b0a09080'];

/**
 * Instance calls shaped to reach every cap and tie: 30 sessions (24 kept), 14 public addresses
 * (8 kept per instance, 6 per session), 7 VPC endpoints (4 home markers kept), another account's
 * endpoint, people from 700 addresses (160 kept per evidence bucket), a few distinct times only
 * (same time, other eventIDs), and hostile fields: missing, of odd types, huge.
 */
export function hostileInstanceCalls(rng: Rng, count: number): CloudTrailRecord[] {
  const times = Array.from({ length: 12 }, (_, i) => `2017-11-28T${String(8 + i).padStart(2, '0')}:00:00Z`);
  const sessions = Array.from(
    { length: 30 },
    (_, i) => `2017-11-28T${String(i % 24).padStart(2, '0')}:${i < 24 ? '00' : '30'}:00Z`,
  );
  sessions.push('constructor', 'toString');
  const publicAddress = () => rng.pick([`198.51.100.${rng.int(1, 8)}`, `203.0.113.${rng.int(1, 6)}`]);
  const records: CloudTrailRecord[] = [];
  for (let i = 0; i < count; i++) {
    const instance = rng.pick(HOSTILE_INSTANCES);
    const session = anInstanceSession(instance);
    session.sessionContext = {
      ...session.sessionContext,
      attributes: rng.chance(0.05) ? undefined : { creationDate: rng.pick(sessions), mfaAuthenticated: 'false' },
    };
    if (rng.chance(0.1)) session.accessKeyId = `ASIA${rng.id(16)}`;
    const person = rng.chance(0.4);
    const identity = person
      ? anIamUser({ arn: `arn:aws:iam::${HOSTILE_ACCOUNT}:user/${rng.pick(['alice', 'bob', 'carol'])}` })
      : session;
    let source: unknown = person ? `192.0.2.${rng.int(0, 255)}` : publicAddress();
    if (person && rng.chance(0.5)) source = `198.51.${rng.int(100, 102)}.${rng.int(0, 255)}`;
    const overrides: Record<string, unknown> = {
      userIdentity: identity,
      eventTime: rng.pick(times),
      eventID: `e-${rng.int(0, 40)}`,
      userAgent: rng.pick([
        'aws-cli/2.15.0 Python/3.11',
        'Boto3/1.34 md/Botocore#1.34',
        'aws-sdk-go/1.44.0',
        'terraform/1.9',
        '',
      ]),
    };
    const shape = rng.int(0, 19);
    if (shape === 0) overrides.vpcEndpointId = `vpce-0${rng.int(0, 6)}`;
    if (shape === 1) Object.assign(overrides, { vpcEndpointId: 'vpce-0ff', vpcEndpointAccountId: '210987654321' });
    if (shape === 2) source = `10.0.0.${rng.int(1, 9)}`;
    if (shape === 3) overrides.eventID = undefined;
    if (shape === 4) overrides.eventID = 42;
    if (shape === 5) overrides.eventID = `huge-${'x'.repeat(5000)}-${rng.int(0, 3)}`;
    if (shape === 6) overrides.userAgent = `${'A'.repeat(100_000)}/1`;
    if (shape === 7) overrides.userAgent = { odd: true };
    if (shape === 8) overrides.eventTime = rng.pick([1511895600000, '2017-11-28 08:00:00', undefined]);
    if (shape === 9) source = rng.pick(['AWS Internal', 'ec2.amazonaws.com', 'not-an-address', 7, '2001:db8::1']);
    if (shape === 10) overrides.requestParameters = { big: 'y'.repeat(20_000) };
    if (shape === 11) overrides.eventTime = rng.pick(times).replace(':00Z', ':00.123Z');
    overrides.sourceIPAddress = source;
    records.push(aRecord(overrides as Partial<CloudTrailRecord>));
  }
  // A few that are not records at all.
  records.push(null as unknown as CloudTrailRecord, [] as unknown as CloudTrailRecord, {} as CloudTrailRecord);
  // The first calls of many addresses (same time), so a later copy must replace an earlier one.
  for (let i = 0; i < 40; i++)
    records.push(
      aRecord({
        userIdentity: anInstanceSession(HOSTILE_INSTANCES[0]),
        eventTime: times[0],
        eventID: `a-${i}`,
        sourceIPAddress: publicAddress(),
      }),
    );
  // People from ever smaller addresses: once a bucket is full, each new one displaces a kept one.
  for (let i = 255; i >= 0; i--)
    records.push(
      aRecord({ eventTime: times[1], sourceIPAddress: `203.0.113.${i}` }),
      aRecord({ eventTime: times[2], sourceIPAddress: `198.51.100.${i}` }),
    );
  return records;
}
