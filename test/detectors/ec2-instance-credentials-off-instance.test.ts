import { mkdtemp, writeFile } from 'node:fs/promises';
import { BlockList } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CloudTrailRecord, UserIdentity } from '../../functions/core/cloudtrail.ts';
import { ConfigError } from '../../functions/core/errors.ts';
import {
  callerAddress,
  canonicalAddress,
  createEc2InstanceCredentialsOffInstance,
  decideOffInstance,
  ec2InstanceCredentialsOffInstance,
  instanceSessionOf,
  loadAwsIpRanges,
  parseAwsIpRanges,
  userAgentFamily,
  type AddressEvidence,
  type OffInstanceEvidence,
} from '../../functions/detectors/ec2-instance-credentials-off-instance.ts';
import type { DetectorMatch, StatefulDetector } from '../../functions/detectors/types.ts';
import { memoryState, type MemoryState } from '../helpers/memory-state.ts';
import { aRecord, anIamUser, anInstanceSession } from '../helpers/records.ts';

const INSTANCE = 'i-0a1b2c3d4e5f60789';
const SDK = 'aws-sdk-go/1.44.0 (go1.21.5; linux; amd64)';
const CLI = 'aws-cli/2.15.0 Python/3.11.6 Darwin/23.1.0 exe/x86_64';
const ON_INSTANCE = '192.0.2.10';
const THIEF = '203.0.113.66';

// A small stand-in for ip-ranges.json: 192.0.2.0/24 and 198.51.100.0/25 play AWS's EC2 ranges.
const IP_RANGES_JSON = JSON.stringify({
  syncToken: '1700000000',
  createDate: '2023-11-14-22-13-20',
  prefixes: [
    { ip_prefix: '192.0.2.0/24', region: 'us-east-1', service: 'AMAZON', network_border_group: 'us-east-1' },
    { ip_prefix: '192.0.2.0/24', region: 'us-east-1', service: 'EC2', network_border_group: 'us-east-1' },
    { ip_prefix: '198.51.100.0/25', region: 'eu-west-1', service: 'AMAZON', network_border_group: 'eu-west-1' },
  ],
  ipv6_prefixes: [{ ipv6_prefix: '2001:db8:1000::/36', region: 'us-east-1', service: 'AMAZON', network_border_group: 'us-east-1' }],
});
const RANGES = parseAwsIpRanges(IP_RANGES_JSON);

let minute = 0;
/** eventTimes in order, as the caller sorts records within an object. */
function nextTime(): string {
  minute++;
  return new Date(Date.UTC(2017, 10, 28, 19, 0) + minute * 60_000).toISOString().replace('.000Z', 'Z');
}

/** An instance session call from `ip`; `session` picks the identity (default: the instance's current session). */
function call(ip: string, overrides: Partial<CloudTrailRecord> = {}, session: UserIdentity = anInstanceSession()): CloudTrailRecord {
  return aRecord({ userIdentity: session, sourceIPAddress: ip, userAgent: SDK, eventTime: nextTime(), ...overrides });
}

/** An instance session of another instance or another credential rotation. */
function sessionOf(instanceId: string, creationDate = '2017-11-28T18:00:00Z'): UserIdentity {
  const session = anInstanceSession(instanceId);
  return { ...session, sessionContext: { ...session.sessionContext, attributes: { creationDate, mfaAuthenticated: 'false' } } };
}

/** Runs a timeline through one detector and state; returns each record's verdict. */
async function run(detector: StatefulDetector, records: CloudTrailRecord[], state: MemoryState = memoryState()): Promise<Array<DetectorMatch | undefined>> {
  const verdicts: Array<DetectorMatch | undefined> = [];
  for (const record of records) verdicts.push(await detector.detect(record, state));
  return verdicts;
}

const flagged = (verdicts: Array<DetectorMatch | undefined>) => verdicts.map((verdict) => verdict?.severity ?? '-');

// ------------------------------------------------------------------------------------------------
const Session = suite('instanceSessionOf');

Session('recognises an IMDS-delivered instance role session and keys it by role, instance and creation date', () => {
  const session = instanceSessionOf(call(ON_INSTANCE));
  assert.equal(session, {
    account: '123456789012',
    roleArn: 'arn:aws:iam::123456789012:role/WebServerRole',
    instanceId: INSTANCE,
    creationDate: '2017-11-28T18:00:00Z',
    key: `session#arn:aws:iam::123456789012:role/WebServerRole#${INSTANCE}#2017-11-28T18:00:00Z`,
    instance: `arn:aws:iam::123456789012:role/WebServerRole#${INSTANCE}`,
  });
});

Session('rejects a session named like an instance id when ec2RoleDelivery is absent', () => {
  for (const name of ['i-0123456789abcdef0', 'i-deployer01']) {
    const identity = anInstanceSession(name);
    const { ec2RoleDelivery: _dropped, ...context } = identity.sessionContext!;
    assert.is(instanceSessionOf(call(ON_INSTANCE, {}, { ...identity, sessionContext: context })), undefined, name);
  }
});

Session('rejects a session name that is not an instance id even with ec2RoleDelivery', () => {
  assert.is(instanceSessionOf(call(ON_INSTANCE, {}, anInstanceSession('i-deployer01'))), undefined);
});

Session('requires an ASIA key, an AssumedRole type and a Role session issuer', () => {
  const base = anInstanceSession();
  assert.is(instanceSessionOf(call(ON_INSTANCE, {}, { ...base, accessKeyId: 'AKIAEXAMPLEKEY000001' })), undefined);
  assert.is(instanceSessionOf(call(ON_INSTANCE, {}, { ...base, type: 'IAMUser' })), undefined);
  const issuer = { ...base.sessionContext!.sessionIssuer, type: 'User' };
  assert.is(instanceSessionOf(call(ON_INSTANCE, {}, { ...base, sessionContext: { ...base.sessionContext, sessionIssuer: issuer } })), undefined);
});

Session('falls back to the temporary key id when creationDate is missing', () => {
  const base = anInstanceSession();
  const session = instanceSessionOf(call(ON_INSTANCE, {}, { ...base, sessionContext: { ...base.sessionContext, attributes: undefined } }));
  assert.is(session?.creationDate, 'key:ASIAEXAMPLESESSION01');
});

Session.run();

// ------------------------------------------------------------------------------------------------
const Caller = suite('callerAddress');

Caller('returns the source address of a direct call', () => {
  assert.is(callerAddress(call(ON_INSTANCE)), ON_INSTANCE);
});

Caller('ignores AWS services acting for the principal, AWS Internal and VPC endpoint calls', () => {
  assert.is(callerAddress(call('cloudformation.amazonaws.com', {}, anInstanceSession(INSTANCE, { invokedBy: 'cloudformation.amazonaws.com' }))), undefined);
  assert.is(callerAddress(call(ON_INSTANCE, {}, anInstanceSession(INSTANCE, { invokedBy: 'ssm.amazonaws.com' }))), undefined);
  assert.is(callerAddress(call('s3.amazonaws.com')), undefined);
  assert.is(callerAddress(call('AWS Internal')), undefined);
  assert.is(callerAddress(call('10.0.1.5', { vpcEndpointId: 'vpce-0a1b2c3d4e5f60789' })), undefined);
});

Caller('ignores sources that are not IP addresses', () => {
  assert.is(callerAddress(call('example.com')), undefined);
  assert.is(callerAddress(aRecord({ sourceIPAddress: undefined })), undefined);
  assert.is(callerAddress(aRecord({ sourceIPAddress: 42 as unknown as string })), undefined);
});

Caller('writes IPv6 one way and IPv4-mapped IPv6 as IPv4', () => {
  assert.is(canonicalAddress('2001:0DB8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
  assert.is(canonicalAddress('::ffff:192.0.2.10'), ON_INSTANCE);
  assert.is(canonicalAddress('::ffff:c000:020a'), ON_INSTANCE);
  assert.is(canonicalAddress('fe80::1%eth0'), undefined);
});

Caller.run();

// ------------------------------------------------------------------------------------------------
const Agent = suite('userAgentFamily');

Agent('takes the first product token in lower case', () => {
  assert.is(userAgentFamily(CLI), 'aws-cli');
  assert.is(userAgentFamily(SDK), 'aws-sdk-go');
  assert.is(userAgentFamily('Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0'), 'boto3');
  assert.is(userAgentFamily('[aws-cli/2.15.0 Python/3.11.6]'), 'aws-cli');
});

Agent('is empty for a missing or odd user agent', () => {
  assert.is(userAgentFamily(undefined), '');
  assert.is(userAgentFamily(7), '');
  assert.is(userAgentFamily('   '), '');
});

Agent.run();

// ------------------------------------------------------------------------------------------------
const Decide = suite('decideOffInstance');

function address(overrides: Partial<AddressEvidence> & { address: string }): AddressEvidence {
  return { isEgress: false, egressInstances: 0, outsideAws: undefined, person: undefined, ...overrides };
}

function evidence(current: AddressEvidence, first: AddressEvidence | 'same', overrides: Partial<OffInstanceEvidence> = {}): OffInstanceEvidence {
  const firstEvidence = first === 'same' ? current : first;
  return {
    session: { roleArn: 'arn:aws:iam::123456789012:role/WebServerRole', instanceId: INSTANCE },
    current,
    first: { ...firstEvidence, eventTime: '2017-11-28T19:01:00Z', eventID: 'first-event', userAgentFamily: 'aws-sdk-go' },
    isFirstAddress: first === 'same',
    userAgentFamily: 'aws-sdk-go',
    errorCode: undefined,
    ...overrides,
  };
}

Decide('does not flag the first address on order alone', () => {
  assert.is(decideOffInstance(evidence(address({ address: ON_INSTANCE }), 'same')), undefined);
  assert.is(decideOffInstance(evidence(address({ address: ON_INSTANCE, outsideAws: false }), 'same')), undefined);
});

Decide('flags a first address outside AWS that is not an egress address, at medium', () => {
  const match = decideOffInstance(evidence(address({ address: THIEF, outsideAws: true }), 'same'));
  assert.is(match?.severity, 'medium');
  assert.is(
    match?.reason,
    `Credentials of instance ${INSTANCE} (role WebServerRole): first use seen from ${THIEF}, an address outside AWS and not an egress address of this account.`,
  );
});

Decide('lets the account egress outweigh being outside AWS', () => {
  assert.is(decideOffInstance(evidence(address({ address: THIEF, outsideAws: true, isEgress: true, egressInstances: 3 }), 'same')), undefined);
});

Decide('counts people\'s use of the first address only when AWS ranges are unknown', () => {
  const alice = 'arn:aws:iam::123456789012:user/alice';
  const unknown = decideOffInstance(evidence(address({ address: THIEF, person: alice }), 'same'));
  assert.is(unknown?.severity, 'medium');
  assert.match(unknown?.reason ?? '', `an address people's access keys use (${alice})`);
  assert.is(decideOffInstance(evidence(address({ address: ON_INSTANCE, person: alice, outsideAws: false }), 'same')), undefined);
});

Decide('flags another address at high, naming the first address and when it was seen', () => {
  const match = decideOffInstance(evidence(address({ address: THIEF }), address({ address: ON_INSTANCE })));
  assert.equal(match, {
    severity: 'high',
    reason: `Credentials of instance ${INSTANCE} (role WebServerRole): used from ${THIEF}, not from ${ON_INSTANCE} where this session was first seen (2017-11-28T19:01:00Z, event first-event).`,
  });
});

Decide('names outside-AWS and people evidence for another address', () => {
  const match = decideOffInstance(
    evidence(address({ address: THIEF, outsideAws: true, person: 'arn:aws:iam::123456789012:user/alice' }), address({ address: ON_INSTANCE, outsideAws: false })),
  );
  assert.is(match?.severity, 'high');
  assert.match(match?.reason ?? '', `${THIEF} is outside AWS's published ranges`);
  assert.match(match?.reason ?? '', 'the organisation\'s network, not the instance');
});

Decide('lowers another address that is the account egress to medium', () => {
  const match = decideOffInstance(evidence(address({ address: '192.0.2.200', isEgress: true, egressInstances: 4 }), address({ address: ON_INSTANCE })));
  assert.is(match?.severity, 'medium');
  assert.match(match?.reason ?? '', "this account's egress (4 instances)");
});

Decide('does not flag the instance after a thief who was seen first and flagged', () => {
  const thiefFirst = address({ address: THIEF, outsideAws: true });
  assert.is(decideOffInstance(evidence(address({ address: ON_INSTANCE, outsideAws: false }), thiefFirst)), undefined);
  // Both outside AWS: nothing says which is the instance, so the other address is flagged.
  assert.is(decideOffInstance(evidence(address({ address: '203.0.113.7', outsideAws: true }), thiefFirst))?.severity, 'high');
});

Decide('raises the severity one step when the user agent family changed', () => {
  const match = decideOffInstance(evidence(address({ address: THIEF }), address({ address: ON_INSTANCE }), { userAgentFamily: 'aws-cli' }));
  assert.is(match?.severity, 'critical');
  assert.match(match?.reason ?? '', "user agent aws-cli differs from the first use's aws-sdk-go");
  // The user agent alone never makes a finding.
  assert.is(decideOffInstance(evidence(address({ address: ON_INSTANCE }), 'same', { userAgentFamily: 'aws-cli' })), undefined);
});

Decide('says that a failed call is still an attempt', () => {
  const match = decideOffInstance(evidence(address({ address: THIEF }), address({ address: ON_INSTANCE }), { errorCode: 'AccessDenied' }));
  assert.match(match?.reason ?? '', 'the call failed (AccessDenied), which is still an attempt to use the credentials');
});

Decide.run();

// ------------------------------------------------------------------------------------------------
const Ranges = suite('parseAwsIpRanges');

Ranges('matches IPv4 and IPv6 addresses inside the published prefixes', () => {
  assert.ok(RANGES.contains('192.0.2.0'));
  assert.ok(RANGES.contains('192.0.2.255'));
  assert.ok(RANGES.contains('198.51.100.127'));
  assert.not.ok(RANGES.contains('198.51.100.128'));
  assert.not.ok(RANGES.contains(THIEF));
  assert.ok(RANGES.contains('2001:db8:1fff:ffff:ffff:ffff:ffff:ffff'));
  assert.not.ok(RANGES.contains('2001:db8:2000::'));
  assert.ok(RANGES.contains('::ffff:192.0.2.9'));
  assert.not.ok(RANGES.contains('not an address'));
  assert.is(RANGES.prefixCount, 4);
  assert.is(RANGES.syncToken, '1700000000');
});

Ranges('agrees with node:net BlockList on addresses around every prefix edge', () => {
  const prefixes: Array<[string, number, 'ipv4' | 'ipv6']> = [
    ['0.0.0.0', 8, 'ipv4'], ['3.5.140.0', 22, 'ipv4'], ['52.94.76.0', 22, 'ipv4'], ['52.95.36.0', 23, 'ipv4'],
    ['255.255.255.254', 31, 'ipv4'], ['18.34.0.0', 19, 'ipv4'], ['18.34.32.0', 20, 'ipv4'], ['13.34.37.64', 27, 'ipv4'],
    ['2600:1f14::', 35, 'ipv6'], ['2a05:d07a:a000::', 40, 'ipv6'], ['2406:da00:ff00::', 64, 'ipv6'], ['ffff::', 16, 'ipv6'],
    ['2600:1f18:4000::', 36, 'ipv6'], ['2600:1f18:5000::', 36, 'ipv6'], ['2001:db8::1', 128, 'ipv6'],
  ];
  const reference = new BlockList();
  for (const [prefix, length, type] of prefixes) reference.addSubnet(prefix, length, type);
  const ranges = parseAwsIpRanges(
    JSON.stringify({
      prefixes: prefixes.filter(([, , t]) => t === 'ipv4').map(([p, l]) => ({ ip_prefix: `${p}/${l}` })),
      ipv6_prefixes: prefixes.filter(([, , t]) => t === 'ipv6').map(([p, l]) => ({ ipv6_prefix: `${p}/${l}` })),
    }),
  );
  const probes = [
    '0.255.255.255', '1.0.0.0', '3.5.139.255', '3.5.140.0', '3.5.143.255', '3.5.144.0', '52.94.79.255', '52.95.37.255',
    '52.95.38.0', '255.255.255.255', '255.255.255.253', '18.34.47.255', '18.34.48.0', '13.34.37.63', '13.34.37.95', '13.34.37.96',
    '2600:1f14::', '2600:1f14:1fff:ffff:ffff:ffff:ffff:ffff', '2600:1f14:2000::', '2600:1f13:ffff:ffff:ffff:ffff:ffff:ffff',
    '2a05:d07a:a0ff:ffff::1', '2a05:d07a:a100::', '2406:da00:ff00::ffff', '2406:da00:ff00:1::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    '2600:1f18:5fff:ffff:ffff:ffff:ffff:ffff', '2600:1f18:6000::', '2600:1f18:3fff::', '2001:db8::1', '2001:db8::2', '::', '::1',
  ];
  for (let i = 0; i < 2000; i++) {
    const octets = Array.from({ length: 4 }, () => Math.floor(Math.random() * 256));
    if (i % 2) octets[0] = [3, 13, 18, 52][i % 4]!;
    probes.push(octets.join('.'));
  }
  for (const probe of probes) {
    assert.is(ranges.contains(probe), reference.check(probe, probe.includes(':') ? 'ipv6' : 'ipv4'), probe);
  }
});

Ranges('rejects a file that is not ip-ranges.json, naming the bad entry', () => {
  assert.throws(() => parseAwsIpRanges('{', 'ranges.json'), (error: unknown) => error instanceof ConfigError && /ranges\.json: invalid JSON/.test(error.message));
  assert.throws(() => parseAwsIpRanges('{"prefix":[]}', 'ranges.json'), /no "prefixes" array/);
  assert.throws(() => parseAwsIpRanges('{"prefixes":[{"ip_prefix":"192.0.2.0/33"}]}', 'ranges.json'), /ip_prefix of entry 0 is not an IPv4 CIDR/);
  assert.throws(() => parseAwsIpRanges('{"prefixes":[],"ipv6_prefixes":[{"ipv6_prefix":"192.0.2.0/24"}]}'), /ipv6_prefix of entry 0 is not an IPv6 CIDR/);
});

Ranges.run();

const LoadRanges = suite('loadAwsIpRanges');

LoadRanges('reads ip-ranges.json from a file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ip-ranges-'));
  const file = join(dir, 'ip-ranges.json');
  await writeFile(file, IP_RANGES_JSON);
  const ranges = await loadAwsIpRanges(file);
  assert.ok(ranges.contains(ON_INSTANCE));
  assert.not.ok(ranges.contains(THIEF));
});

LoadRanges('fails with a ConfigError naming a missing file', async () => {
  try {
    await loadAwsIpRanges('/nonexistent/ip-ranges.json');
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.instance(error, ConfigError);
    assert.match((error as Error).message, '/nonexistent/ip-ranges.json: cannot read AWS ip ranges');
  }
});

LoadRanges.run();

// ------------------------------------------------------------------------------------------------
const Timelines = suite('createEc2InstanceCredentialsOffInstance');

Timelines('does not flag an instance using its credentials from its own address', async () => {
  const detector = createEc2InstanceCredentialsOffInstance({ awsIpRanges: RANGES });
  const verdicts = await run(detector, [call(ON_INSTANCE), call(ON_INSTANCE), call(ON_INSTANCE, { errorCode: 'AccessDenied' })]);
  assert.equal(flagged(verdicts), ['-', '-', '-']);
});

Timelines('flags every call from a second address once the instance was seen first', async () => {
  const detector = createEc2InstanceCredentialsOffInstance();
  const state = memoryState();
  const verdicts = await run(
    detector,
    [call(ON_INSTANCE), call(THIEF), call(ON_INSTANCE), call(THIEF, { errorCode: 'AccessDenied' }), call(THIEF, { userAgent: CLI })],
    state,
  );
  assert.equal(flagged(verdicts), ['-', 'high', '-', 'high', 'critical']);
  assert.match(verdicts[1]?.reason ?? '', `used from ${THIEF}, not from ${ON_INSTANCE}`);
  assert.match(verdicts[3]?.reason ?? '', 'still an attempt');
  assert.match(verdicts[4]?.reason ?? '', "user agent aws-cli differs from the first use's aws-sdk-go");
  // The thief's address never fed the egress count.
  assert.is(state.sets.get(`egress#123456789012#${THIEF}`), undefined);
});

Timelines('ignores AWS services acting for the session and never learns their address', async () => {
  const detector = createEc2InstanceCredentialsOffInstance();
  const state = memoryState();
  const viaService = anInstanceSession(INSTANCE, { invokedBy: 'cloudformation.amazonaws.com' });
  const verdicts = await run(
    detector,
    [
      call('cloudformation.amazonaws.com', {}, viaService),
      call('AWS Internal'),
      call('s3.amazonaws.com'),
      call(ON_INSTANCE),
      call('cloudformation.amazonaws.com', {}, viaService),
      call(THIEF),
    ],
    state,
  );
  assert.equal(flagged(verdicts), ['-', '-', '-', '-', '-', 'high']);
  assert.match(verdicts[5]?.reason ?? '', `not from ${ON_INSTANCE}`);
});

Timelines('ignores calls through a VPC endpoint and does not learn their private address', async () => {
  const detector = createEc2InstanceCredentialsOffInstance();
  const state = memoryState();
  const verdicts = await run(detector, [call('10.0.1.5', { vpcEndpointId: 'vpce-0a1b2c3d4e5f60789' }), call(ON_INSTANCE), call('10.0.1.5', { vpcEndpointId: 'vpce-0a1b2c3d4e5f60789' })], state);
  assert.equal(flagged(verdicts), ['-', '-', '-']);
  assert.is(state.items.get(instanceSessionOf(call(ON_INSTANCE))!.key)?.ip, ON_INSTANCE);
});

Timelines('flags every call from the new address when the instance\'s address changes mid-session (documented trade-off)', async () => {
  const detector = createEc2InstanceCredentialsOffInstance({ awsIpRanges: RANGES });
  const moved = '192.0.2.77'; // an Elastic IP associated during the session
  const verdicts = await run(detector, [call(ON_INSTANCE), call(moved), call(moved)]);
  assert.equal(flagged(verdicts), ['-', 'high', 'high']);
});

Timelines('learns anew when the credentials rotate (a new session creationDate)', async () => {
  const detector = createEc2InstanceCredentialsOffInstance();
  const rotated = sessionOf(INSTANCE, '2017-11-29T00:00:00Z');
  const verdicts = await run(detector, [call(ON_INSTANCE), call('192.0.2.77', {}, rotated), call('192.0.2.77', {}, rotated), call(ON_INSTANCE, {}, rotated)]);
  assert.equal(flagged(verdicts), ['-', '-', '-', 'high']);
});

Timelines('ignores look-alike session names without ec2RoleDelivery and keeps no state for them', async () => {
  const detector = createEc2InstanceCredentialsOffInstance({ awsIpRanges: RANGES });
  const state = memoryState();
  const lookAlikes = ['i-deployer01', 'i-0123456789abcdef0'].map((name) => {
    const identity = anInstanceSession(name);
    const { ec2RoleDelivery: _dropped, ...context } = identity.sessionContext!;
    return { ...identity, sessionContext: context };
  });
  const verdicts = await run(detector, lookAlikes.flatMap((identity) => [call(ON_INSTANCE, {}, identity), call(THIEF, {}, identity)]), state);
  assert.equal(flagged(verdicts), ['-', '-', '-', '-']);
  assert.is(state.items.size + state.sets.size, 0);
});

Timelines('flags a thief seen first from outside AWS when ip-ranges.json is given, and not the instance after it', async () => {
  const detector = createEc2InstanceCredentialsOffInstance({ awsIpRanges: RANGES });
  const verdicts = await run(detector, [call(THIEF, { userAgent: CLI }), call(ON_INSTANCE), call(THIEF, { userAgent: CLI }), call(ON_INSTANCE)]);
  assert.equal(flagged(verdicts), ['medium', '-', 'medium', '-']);
  assert.is(verdicts[0]?.title, 'EC2 instance credentials first used off the instance');
  assert.match(verdicts[0]?.reason ?? '', 'first use seen from 203.0.113.66, an address outside AWS and not an egress address of this account');
});

Timelines('without evidence a thief seen first is learned, and the instance\'s own calls are flagged instead (documented)', async () => {
  const detector = createEc2InstanceCredentialsOffInstance();
  const verdicts = await run(detector, [call(THIEF), call(ON_INSTANCE), call(THIEF)]);
  assert.equal(flagged(verdicts), ['-', 'high', '-']);
});

Timelines('takes an address people\'s access keys use as not the instance\'s when AWS ranges are unknown', async () => {
  const detector = createEc2InstanceCredentialsOffInstance();
  const alice = aRecord({ userIdentity: anIamUser(), sourceIPAddress: THIEF, eventTime: nextTime() });
  const verdicts = await run(detector, [alice, call(THIEF), call(ON_INSTANCE)]);
  assert.equal(flagged(verdicts), ['-', 'medium', '-']);
  assert.match(verdicts[1]?.reason ?? '', "people's access keys use (arn:aws:iam::123456789012:user/alice)");
});

Timelines('does not hold people\'s use of an AWS address against the instance', async () => {
  const detector = createEc2InstanceCredentialsOffInstance({ awsIpRanges: RANGES });
  const onTheHost = aRecord({ userIdentity: anIamUser(), sourceIPAddress: ON_INSTANCE, eventTime: nextTime() });
  assert.equal(flagged(await run(detector, [onTheHost, call(ON_INSTANCE)])), ['-', '-']);
});

Timelines('learns an egress address from several instances and stops flagging it', async () => {
  const detector = createEc2InstanceCredentialsOffInstance({ awsIpRanges: RANGES });
  const proxy = '198.51.100.200'; // an on-premises proxy: outside AWS, shared by the account's instances
  const [a, b, c, d] = ['i-0a1b2c3d4e5f60781', 'i-0a1b2c3d4e5f60782', 'i-0a1b2c3d4e5f60783', 'i-0a1b2c3d4e5f60784'].map((id) => sessionOf(id));
  const state = memoryState();
  const verdicts = await run(detector, [call(proxy, {}, a!), call(proxy, {}, b!), call(proxy, {}, c!), call(proxy, {}, a!), call(proxy, {}, d!)], state);
  // The first two are flagged while the address is still unknown; from the third instance on it is the egress.
  assert.equal(flagged(verdicts), ['medium', 'medium', '-', '-', '-']);
  assert.equal(state.items.get(`egress-address#123456789012#${proxy}`)?.instances, '3');
});

Timelines('counts distinct instances, not rotated sessions of one instance, towards the egress', async () => {
  const detector = createEc2InstanceCredentialsOffInstance({ awsIpRanges: RANGES });
  const rotations = ['2017-11-28T18:00:00Z', '2017-11-29T00:00:00Z', '2017-11-29T06:00:00Z', '2017-11-29T12:00:00Z'].map((date) => sessionOf(INSTANCE, date));
  const verdicts = await run(detector, rotations.map((session) => call(THIEF, {}, session)));
  assert.equal(flagged(verdicts), ['medium', 'medium', 'medium', 'medium']);
});

Timelines('never lets second-address use turn the thief\'s address into an egress', async () => {
  const detector = createEc2InstanceCredentialsOffInstance();
  const state = memoryState();
  const sessions = ['i-0a1b2c3d4e5f60781', 'i-0a1b2c3d4e5f60782', 'i-0a1b2c3d4e5f60783', 'i-0a1b2c3d4e5f60784'].map((id) => sessionOf(id));
  const timeline = sessions.flatMap((session) => [call(ON_INSTANCE, {}, session), call(THIEF, {}, session)]);
  assert.equal(flagged(await run(detector, timeline, state)).filter((severity) => severity === 'high').length, 4);
});

Timelines('lowers a second address that is the account egress to medium', async () => {
  const detector = createEc2InstanceCredentialsOffInstance();
  const nat = '192.0.2.200';
  const others = ['i-0a1b2c3d4e5f60781', 'i-0a1b2c3d4e5f60782', 'i-0a1b2c3d4e5f60783'].map((id) => call(nat, {}, sessionOf(id)));
  const verdicts = await run(detector, [...others, call(ON_INSTANCE), call(nat)]);
  assert.equal(flagged(verdicts), ['-', '-', '-', '-', 'medium']);
});

Timelines('never throws on odd records', async () => {
  const detector = createEc2InstanceCredentialsOffInstance({ awsIpRanges: RANGES });
  const odd = [
    null,
    [],
    {},
    { userIdentity: 'AssumedRole', sourceIPAddress: THIEF },
    { userIdentity: { type: 'AssumedRole', accessKeyId: 'ASIAX', sessionContext: null }, sourceIPAddress: THIEF },
    { userIdentity: { ...anInstanceSession(), arn: 42 }, sourceIPAddress: THIEF },
    { userIdentity: { ...anInstanceSession(), sessionContext: { ec2RoleDelivery: '2.0', sessionIssuer: 'Role' } }, sourceIPAddress: THIEF },
    { userIdentity: { ...anInstanceSession(), invokedBy: 7 }, sourceIPAddress: 12345, vpcEndpointId: null },
    { userIdentity: anInstanceSession(), sourceIPAddress: '999.0.2.1' },
    { userIdentity: anInstanceSession(), sourceIPAddress: ON_INSTANCE, eventTime: null, eventID: {}, userAgent: ['x'] },
    { userIdentity: { type: 'IAMUser', accessKeyId: 'AKIAX' }, sourceIPAddress: THIEF },
  ] as unknown as CloudTrailRecord[];
  for (const record of odd) await detector.detect(record, memoryState());
  // A state item from an older version without the expected fields is tolerated too.
  const state = memoryState();
  await state.putIfAbsent(instanceSessionOf(call(ON_INSTANCE))!.key, { something: 'else' });
  assert.is(await detector.detect(call(ON_INSTANCE), state), undefined);
});

Timelines('rejects an egress threshold below 2', () => {
  assert.throws(() => createEc2InstanceCredentialsOffInstance({ egressInstanceThreshold: 1 }), /egressInstanceThreshold must be an integer >= 2/);
});

Timelines.run();

// ------------------------------------------------------------------------------------------------
const Meta = suite('ec2InstanceCredentialsOffInstance');

Meta('carries complete metadata', () => {
  const { meta } = ec2InstanceCredentialsOffInstance;
  assert.is(meta.id, 'ec2-instance-credentials-off-instance');
  assert.is(meta.severity, 'high');
  assert.equal(meta.mitre, { id: 'T1552.005', name: 'Unsecured Credentials: Cloud Instance Metadata API' });
  assert.is(meta.failedCalls, 'matched');
  assert.ok(meta.references.some((url) => url.includes('instancecredentialexfiltration')));
  assert.ok(meta.references.some((url) => url.includes('netflix-cloud-security-detecting-credential-compromise-in-aws')));
  assert.ok(meta.falsePositives.length >= 3);
  assert.match(meta.runbook, 'still an attempt');
  assert.is(ec2InstanceCredentialsOffInstance.kind, 'stateful');
});

Meta.run();
