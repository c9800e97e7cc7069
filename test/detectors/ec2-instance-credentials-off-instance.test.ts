import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CloudTrailRecord } from '../../functions/core/cloudtrail.ts';
import { correlateInMemory, type Verdict } from '../../functions/core/correlation.ts';
import {
  createEc2InstanceCredentialsOffInstance,
  decideInstance,
  ec2InstanceCredentialsOffInstance,
  type AddressEvidence,
} from '../../functions/detectors/ec2-instance-credentials-off-instance.ts';
import {
  mergeAggregates,
  observeRecord,
  type InstanceAggregate,
} from '../../functions/detectors/instance-aggregate.ts';
import type { CorrelatingDetector } from '../../functions/detectors/types.ts';
import { CLI, INSTANCE, ON_INSTANCE, RANGES, THIEF, instanceCalls, sessionOf } from '../helpers/instance-calls.ts';
import { aRecord, anIamUser, anInstanceSession } from '../helpers/records.ts';

const { nextTime, call } = instanceCalls();

type Detector = CorrelatingDetector<import('../../functions/detectors/instance-aggregate.ts').OffInstanceAggregate>;

/** Judges a timeline on the correlation stage's reference semantics (one object, every record). */
function run(detector: Detector, records: CloudTrailRecord[]): Promise<Verdict[]> {
  return correlateInMemory(detector, [
    { key: 'AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/28/object.json.gz', records },
  ]);
}

/** `<address> <severity>` of each verdict, sorted. */
const flagged = (verdicts: readonly Verdict[]) =>
  verdicts.map((v) => `${v.subject.split('#')[0]} ${v.match.severity}`).sort();

// ------------------------------------------------------------------------------------------------
const Decide = suite('decideInstance');

/** The joined aggregate of an instance's records (what Correlate hands the decision). */
function aggregateOf(records: CloudTrailRecord[]): InstanceAggregate {
  const observations = records
    .flatMap((record) => observeRecord(record, 'object') ?? [])
    .filter((o) => o.key.startsWith('instance|'));
  return observations.map((o) => o.aggregate).reduce((a, b) => mergeAggregates(a, b)) as InstanceAggregate;
}

function evidence(overrides: Record<string, Partial<AddressEvidence>> = {}): (address: string) => AddressEvidence {
  return (address) => ({
    address,
    outsideAws: undefined,
    person: undefined,
    egressInstances: 0,
    isEgress: false,
    foreignEndpoint: false,
    ...overrides[address],
  });
}

const who = { roleArn: 'arn:aws:iam::123456789012:role/WebServerRole', instanceId: INSTANCE };

Decide('does not flag the earliest public address on order alone', () => {
  assert.equal(decideInstance(aggregateOf([call(ON_INSTANCE), call(ON_INSTANCE)]), evidence(), who), []);
});

Decide('flags another address at high, naming the home address and when it was first seen', () => {
  const first = call(ON_INSTANCE);
  const flags = decideInstance(aggregateOf([first, call(THIEF)]), evidence(), who);
  assert.equal(
    flags.map((f) => [f.address, f.kind, f.match.severity]),
    [[THIEF, 'other-address', 'high']],
  );
  assert.is(
    flags[0]!.match.reason,
    `Credentials of instance ${INSTANCE} (role WebServerRole), session of 2017-11-28T18:00:00Z: used from ${THIEF}, not from ${ON_INSTANCE}, where this session is first seen (${first.eventTime}).`,
  );
});

Decide('flags an address outside AWS that is the only public one, at medium, unless it is the account egress', () => {
  const flags = decideInstance(aggregateOf([call(THIEF)]), evidence({ [THIEF]: { outsideAws: true } }), who);
  assert.equal(
    flags.map((f) => [f.kind, f.match.severity, f.match.title]),
    [['off-instance', 'medium', "EC2 instance credentials used from an address that is not the instance's"]],
  );
  assert.match(
    flags[0]!.match.reason ?? '',
    `${THIEF} is outside AWS's published ranges; not an egress address of this account`,
  );
  assert.equal(
    decideInstance(
      aggregateOf([call(THIEF)]),
      evidence({ [THIEF]: { outsideAws: true, isEgress: true, egressInstances: 3 } }),
      who,
    ),
    [],
  );
});

Decide("counts people's use of an address only when it is not known to be inside AWS", () => {
  const alice = 'arn:aws:iam::123456789012:user/alice';
  assert.match(
    decideInstance(aggregateOf([call(THIEF)]), evidence({ [THIEF]: { person: alice } }), who)[0]?.match.reason ?? '',
    `people's access keys use ${THIEF} (${alice})`,
  );
  assert.equal(
    decideInstance(
      aggregateOf([call(ON_INSTANCE)]),
      evidence({ [ON_INSTANCE]: { person: alice, outsideAws: false } }),
      who,
    ),
    [],
  );
});

Decide('takes the account egress as home and flags what differs from it', () => {
  const nat = '198.51.100.200';
  const flags = decideInstance(
    aggregateOf([call(THIEF), call(nat)]),
    evidence({ [nat]: { isEgress: true, egressInstances: 4 } }),
    who,
  );
  assert.equal(
    flags.map((f) => [f.address, f.match.severity]),
    [[THIEF, 'high']],
  );
  assert.match(flags[0]!.match.reason ?? '', `not from ${nat}, this account's egress`);
});

Decide('does not flag the instance after a thief who was seen first and is flagged', () => {
  const flags = decideInstance(
    aggregateOf([call(THIEF), call(ON_INSTANCE)]),
    evidence({ [THIEF]: { outsideAws: true }, [ON_INSTANCE]: { outsideAws: false } }),
    who,
  );
  assert.equal(
    flags.map((f) => [f.address, f.kind, f.match.severity]),
    [[THIEF, 'off-instance', 'medium']],
  );
});

Decide('flags a public address of an instance whose other sessions only called through VPC endpoints', () => {
  const endpoint = { vpcEndpointId: 'vpce-0a1b2c3d4e5f60789' };
  const records = [
    call('10.0.1.5', endpoint, sessionOf(INSTANCE, '2017-11-28T12:00:00Z')),
    call('10.0.1.5', endpoint),
    call(THIEF),
  ];
  const flags = decideInstance(aggregateOf(records), evidence(), who);
  assert.equal(
    flags.map((f) => [f.address, f.kind, f.match.severity]),
    [[THIEF, 'endpoint-only', 'high']],
  );
  assert.match(flags[0]!.match.reason ?? '', 'other sessions only called through VPC endpoints or private addresses');
});

Decide("raises the severity one step when the user agent family differs from the home address's", () => {
  const flags = decideInstance(aggregateOf([call(ON_INSTANCE), call(THIEF, { userAgent: CLI })]), evidence(), who);
  assert.is(flags[0]?.match.severity, 'critical');
  assert.match(flags[0]?.match.reason ?? '', "user agent aws-cli differs from the home address's aws-sdk-go");
});

Decide('says that a failed call is still an attempt', () => {
  const flags = decideInstance(
    aggregateOf([call(ON_INSTANCE), call(THIEF, { errorCode: 'AccessDenied' })]),
    evidence(),
    who,
  );
  assert.match(
    flags[0]?.match.reason ?? '',
    'the call shown failed (AccessDenied), which is still an attempt to use the credentials',
  );
});

Decide.run();

// ------------------------------------------------------------------------------------------------
const Timelines = suite('createEc2InstanceCredentialsOffInstance');

Timelines('does not flag an instance using its credentials from its own address', async () => {
  const detector = createEc2InstanceCredentialsOffInstance({ awsIpRanges: RANGES });
  assert.equal(
    flagged(
      await run(detector, [call(ON_INSTANCE), call(ON_INSTANCE), call(ON_INSTANCE, { errorCode: 'AccessDenied' })]),
    ),
    [],
  );
});

Timelines("flags a second address once, with the earliest call from it as the finding's record", async () => {
  const detector = createEc2InstanceCredentialsOffInstance();
  const records = [
    call(ON_INSTANCE),
    call(THIEF),
    call(ON_INSTANCE),
    call(THIEF, { errorCode: 'AccessDenied' }),
    call(THIEF, { userAgent: CLI }),
  ];
  const verdicts = await run(detector, records);
  assert.equal(flagged(verdicts), [`${THIEF} critical`]);
  assert.is(verdicts[0]!.record.eventID, records[1]!.eventID);
  assert.is(verdicts[0]!.objectKey, 'AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/28/object.json.gz');
  assert.match(verdicts[0]!.match.reason ?? '', `used from ${THIEF}, not from ${ON_INSTANCE}`);
});

Timelines('gives the same verdict whatever the order of the records (the theft from a second address)', async () => {
  const detector = createEc2InstanceCredentialsOffInstance();
  const records = [call(ON_INSTANCE), call(ON_INSTANCE), call(THIEF), call(ON_INSTANCE)];
  const expected = await run(detector, records);
  assert.equal(flagged(expected), [`${THIEF} high`]);
  for (const order of [
    [3, 2, 1, 0],
    [2, 0, 3, 1],
    [1, 3, 0, 2],
  ])
    assert.equal(
      await run(
        detector,
        order.map((i) => records[i]!),
      ),
      expected,
    );
});

Timelines(
  'gives the same verdicts, severities and reasons included, whatever the order past the address cap',
  async () => {
    // Ten public addresses: the aggregate keeps the 8 earliest, and an address dropped on the way
    // (its late call seen first) comes back with its early call only. Its agents then depend on
    // the order, so past the cap they are not compared.
    const at = (hhmmss: string) => `2017-11-28T${hhmmss}Z`;
    const lateThief = call(THIEF, { eventTime: at('12:00:00'), userAgent: CLI });
    const earlyThief = call(THIEF, { eventTime: at('10:00:30') });
    const others = Array.from({ length: 8 }, (_, i) =>
      call(`198.51.100.${200 + i}`, { eventTime: at(`10:0${i + 1}:00`) }),
    );
    const home = call(ON_INSTANCE, { eventTime: at('10:00:00') });
    const judged = async (records: CloudTrailRecord[]) =>
      (await run(ec2InstanceCredentialsOffInstance, records))
        .map((v) => `${v.subject} ${v.match.severity} ${v.match.reason}`)
        .sort();
    const inTimeOrder = await judged([home, earlyThief, ...others, lateThief]);
    assert.ok(inTimeOrder.some((v) => v.startsWith(`${THIEF}#`)));
    assert.equal(await judged([lateThief, home, ...others, earlyThief]), inTimeOrder);
    assert.equal(await judged([...others].reverse().concat([earlyThief, lateThief, home])), inTimeOrder);
  },
);

Timelines('ignores AWS services acting for the session', async () => {
  const detector = createEc2InstanceCredentialsOffInstance();
  const viaService = anInstanceSession(INSTANCE, { invokedBy: 'cloudformation.amazonaws.com' });
  const verdicts = await run(detector, [
    call('cloudformation.amazonaws.com', {}, viaService),
    call('AWS Internal'),
    call('s3.amazonaws.com'),
    call(ON_INSTANCE),
    call(THIEF),
  ]);
  assert.equal(flagged(verdicts), [`${THIEF} high`]);
});

Timelines('catches a thief at a public address when the instance only ever spoke through VPC endpoints', async () => {
  const detector = createEc2InstanceCredentialsOffInstance({ awsIpRanges: RANGES });
  const endpoint = { vpcEndpointId: 'vpce-0a1b2c3d4e5f60789' };
  // Outside AWS: caught in the instance's first session too.
  assert.equal(flagged(await run(detector, [call('10.0.1.5', endpoint), call(THIEF), call('10.0.1.5', endpoint)])), [
    `${THIEF} medium`,
  ]);
  // Inside AWS (a thief on an instance of their own): caught once the instance has other sessions.
  const earlier = sessionOf(INSTANCE, '2017-11-28T12:00:00Z');
  const insideAws = '192.0.2.99';
  assert.equal(
    flagged(await run(detector, [call('10.0.1.5', endpoint, earlier), call('10.0.1.5', endpoint), call(insideAws)])),
    [`${insideAws} high`],
  );
});

Timelines("flags the new address when the instance's address changes mid-session (documented trade-off)", async () => {
  const detector = createEc2InstanceCredentialsOffInstance({ awsIpRanges: RANGES });
  const moved = '192.0.2.77'; // an Elastic IP associated during the session
  assert.equal(flagged(await run(detector, [call(ON_INSTANCE), call(moved), call(moved)])), [`${moved} high`]);
});

Timelines(
  'knows the instance across credential rotations: a rotated session starting elsewhere is flagged where it differs',
  async () => {
    const detector = createEc2InstanceCredentialsOffInstance();
    const rotated = sessionOf(INSTANCE, '2017-11-29T00:00:00Z');
    // The instance's sessions start at ON_INSTANCE; the rotated one also called from .77 first.
    const verdicts = await run(detector, [
      call(ON_INSTANCE),
      call('192.0.2.77', {}, rotated),
      call(ON_INSTANCE, {}, rotated),
    ]);
    assert.equal(flagged(verdicts), ['192.0.2.77 high']);
    // A rotated session that moved entirely (a new address after a stop and start) is not flagged.
    assert.equal(flagged(await run(detector, [call(ON_INSTANCE), call('192.0.2.77', {}, rotated)])), []);
  },
);

Timelines('ignores look-alike session names without ec2RoleDelivery and observes nothing for them', async () => {
  const detector = createEc2InstanceCredentialsOffInstance({ awsIpRanges: RANGES });
  const lookAlikes = ['i-deployer01', 'i-0123456789abcdef0'].map((name) => {
    const identity = anInstanceSession(name);
    const { ec2RoleDelivery: _dropped, ...context } = identity.sessionContext!;
    return { ...identity, sessionContext: context };
  });
  const records = lookAlikes.flatMap((identity) => [call(ON_INSTANCE, {}, identity), call(THIEF, {}, identity)]);
  assert.equal(flagged(await run(detector, records)), []);
  assert.equal(
    records.map((record) => detector.observe(record, 'object')),
    [undefined, undefined, undefined, undefined],
  );
});

Timelines(
  'flags a thief seen first from outside AWS when ip-ranges.json is given, and not the instance after it',
  async () => {
    const detector = createEc2InstanceCredentialsOffInstance({ awsIpRanges: RANGES });
    const verdicts = await run(detector, [
      call(THIEF, { userAgent: CLI }),
      call(ON_INSTANCE),
      call(THIEF, { userAgent: CLI }),
      call(ON_INSTANCE),
    ]);
    assert.equal(flagged(verdicts), [`${THIEF} high`]);
    assert.match(verdicts[0]?.match.reason ?? '', `${THIEF} is outside AWS's published ranges`);
    assert.match(verdicts[0]?.match.reason ?? '', "user agent aws-cli differs from the home address's aws-sdk-go");
  },
);

Timelines(
  "without evidence a thief seen first is taken as home, and the instance's own address is flagged instead (documented)",
  async () => {
    const detector = createEc2InstanceCredentialsOffInstance();
    assert.equal(flagged(await run(detector, [call(THIEF), call(ON_INSTANCE), call(THIEF)])), [`${ON_INSTANCE} high`]);
  },
);

Timelines(
  "takes an address people's access keys use as not the instance's when AWS ranges are unknown (a thief at a person's address)",
  async () => {
    const detector = createEc2InstanceCredentialsOffInstance();
    const alice = aRecord({ userIdentity: anIamUser(), sourceIPAddress: THIEF, eventTime: nextTime() });
    const verdicts = await run(detector, [alice, call(THIEF), call(ON_INSTANCE)]);
    assert.equal(flagged(verdicts), [`${THIEF} medium`]);
    assert.match(
      verdicts[0]?.match.reason ?? '',
      `people's access keys use ${THIEF} (arn:aws:iam::123456789012:user/alice)`,
    );
    // The person's call may come in any file, before or after: the verdict is the same.
    assert.equal(flagged(await run(detector, [call(THIEF), call(ON_INSTANCE), alice])), [`${THIEF} medium`]);
  },
);

Timelines("does not hold people's use of an AWS address against the instance", async () => {
  const detector = createEc2InstanceCredentialsOffInstance({ awsIpRanges: RANGES });
  const onTheHost = aRecord({ userIdentity: anIamUser(), sourceIPAddress: ON_INSTANCE, eventTime: nextTime() });
  assert.equal(flagged(await run(detector, [onTheHost, call(ON_INSTANCE)])), []);
});

Timelines('takes an address where several instances start their sessions as the account egress', async () => {
  const detector = createEc2InstanceCredentialsOffInstance({ awsIpRanges: RANGES });
  const proxy = '198.51.100.200'; // an on-premises proxy: outside AWS, shared by the account's instances
  const [a, b, c, d] = ['i-0a1b2c3d4e5f60781', 'i-0a1b2c3d4e5f60782', 'i-0a1b2c3d4e5f60783', 'i-0a1b2c3d4e5f60784'].map(
    (id) => sessionOf(id),
  );
  assert.equal(
    flagged(await run(detector, [call(proxy, {}, a!), call(proxy, {}, b!), call(proxy, {}, c!), call(proxy, {}, d!)])),
    [],
  );
  // Two instances are not enough: each is flagged.
  assert.equal(flagged(await run(detector, [call(proxy, {}, a!), call(proxy, {}, b!)])), [
    `${proxy} medium`,
    `${proxy} medium`,
  ]);
});

Timelines('counts distinct instances, not rotated sessions of one instance, towards the egress', async () => {
  const detector = createEc2InstanceCredentialsOffInstance({ awsIpRanges: RANGES });
  const rotations = [
    '2017-11-28T18:00:00Z',
    '2017-11-29T00:00:00Z',
    '2017-11-29T06:00:00Z',
    '2017-11-29T12:00:00Z',
  ].map((date) => sessionOf(INSTANCE, date));
  assert.equal(
    flagged(
      await run(
        detector,
        rotations.map((session) => call(THIEF, {}, session)),
      ),
    ),
    [`${THIEF} medium`],
  );
});

Timelines('never lets stolen sessions of several instances used from one address make it an egress', async () => {
  const detector = createEc2InstanceCredentialsOffInstance();
  const sessions = ['i-0a1b2c3d4e5f60781', 'i-0a1b2c3d4e5f60782', 'i-0a1b2c3d4e5f60783', 'i-0a1b2c3d4e5f60784'].map(
    (id) => sessionOf(id),
  );
  const timeline = sessions.flatMap((session, i) => [call(`192.0.2.${20 + i}`, {}, session), call(THIEF, {}, session)]);
  assert.equal(flagged(await run(detector, timeline)), Array(4).fill(`${THIEF} high`));
});

Timelines('never throws on odd records', async () => {
  const detector = createEc2InstanceCredentialsOffInstance({ awsIpRanges: RANGES });
  const odd = [
    null,
    [],
    {},
    { userIdentity: 'AssumedRole', sourceIPAddress: THIEF, eventTime: nextTime() },
    {
      userIdentity: { type: 'AssumedRole', accessKeyId: 'ASIAX', sessionContext: null },
      sourceIPAddress: THIEF,
      eventTime: nextTime(),
    },
    { userIdentity: { ...anInstanceSession(), arn: 42 }, sourceIPAddress: THIEF, eventTime: nextTime() },
    {
      userIdentity: { ...anInstanceSession(), sessionContext: { ec2RoleDelivery: '2.0', sessionIssuer: 'Role' } },
      sourceIPAddress: THIEF,
      eventTime: nextTime(),
    },
    {
      userIdentity: { ...anInstanceSession(), invokedBy: 7 },
      sourceIPAddress: 12345,
      vpcEndpointId: null,
      eventTime: nextTime(),
    },
    { userIdentity: anInstanceSession(), sourceIPAddress: '999.0.2.1', eventTime: nextTime() },
    { userIdentity: anInstanceSession(), sourceIPAddress: ON_INSTANCE, eventTime: null, eventID: {}, userAgent: ['x'] },
    {
      userIdentity: anInstanceSession(),
      sourceIPAddress: THIEF,
      eventTime: nextTime(),
      eventID: {},
      userAgent: ['x'],
      vpcEndpointId: 7,
    },
    { userIdentity: { type: 'IAMUser', accessKeyId: 'AKIAX' }, sourceIPAddress: THIEF, eventTime: nextTime() },
  ] as unknown as CloudTrailRecord[];
  const verdicts = await run(detector, odd);
  assert.ok(Array.isArray(verdicts));
});

Timelines('rejects an egress threshold below 2', () => {
  assert.throws(
    () => createEc2InstanceCredentialsOffInstance({ egressInstanceThreshold: 1 }),
    /egressInstanceThreshold must be an integer >= 2/,
  );
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
  assert.ok(
    meta.references.some((url) => url.includes('netflix-cloud-security-detecting-credential-compromise-in-aws')),
  );
  assert.ok(meta.falsePositives.length >= 3);
  assert.match(meta.runbook, 'still an attempt');
  assert.is(ec2InstanceCredentialsOffInstance.kind, 'correlating');
});

Meta.run();
