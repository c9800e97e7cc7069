import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { prng, syntheticRecord } from '../../bench/corpus.ts';
import type { CloudTrailRecord } from '../../functions/core/cloudtrail.ts';
import { ANY_EVENT_NAME, type Detector } from '../../functions/core/detector.ts';
import { BUILT_IN_DETECTORS } from '../../functions/detectors/index.ts';
import { DetectorIndex } from '../../functions/detectors/prefilter.ts';
import { aFailed, aRecord, aRootUser, anIamUser, anInstanceSession } from '../helpers/records.ts';

/*
 * The prefilter must never hide a record from a detector that would match or observe it: on a
 * varied record set (every declared event and some undeclared ones, under several identities and
 * request parameters, failed and not, odd eventSource/eventName values, and a sample of the
 * benchmark corpus), running only the candidates gives exactly what running every detector gives.
 */

const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }],
});
const PARAMS: (Record<string, unknown> | null | undefined)[] = [
  undefined,
  null,
  {},
  {
    policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    policyDocument: POLICY,
    policy: POLICY,
    bucketPolicy: JSON.parse(POLICY),
    userName: 'someone-else',
    roleName: 'app',
    name: 'trail',
    trailName: 'trail',
    bucketName: 'logs',
    logGroupName: '/aws/app',
    keyId: 'k',
    detectorId: 'd',
    instanceId: 'i-0123456789abcdef0',
    instancesSet: { items: [{ instanceId: 'i-0123456789abcdef0' }] },
    attribute: 'userData',
    userData: '<sensitive>',
    functionName: 'f',
    principal: '*',
    secretId: 'secret-1',
    names: ['/app/db-password'],
    withDecryption: true,
    target: 'i-0123456789abcdef0',
    instanceIds: ['i-0123456789abcdef0', 'i-0123456789abcdef1'],
    modelId: 'anthropic.claude',
    ipPermissions: { items: [{ ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] }, fromPort: 22, toPort: 22 }] },
    launchPermission: { add: { items: [{ group: 'all' }] } },
    createVolumePermission: { add: { items: [{ group: 'all' }] } },
    eventSelectors: [{ readWriteType: 'ReadOnly', includeManagementEvents: false }],
    lifecycleConfiguration: { rules: [{ expiration: { days: 1 }, status: 'Enabled' }] },
    PublicAccessBlockConfiguration: { BlockPublicAcls: false, BlockPublicPolicy: false },
    enable: false,
    delete: { objects: Array.from({ length: 5 }, (_, i) => ({ key: `k${i}` })) },
    instanceType: 'p4d.24xlarge',
    maxCount: 50,
  },
];
const IDENTITIES = [
  anIamUser(),
  anInstanceSession(),
  aRootUser(),
  { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' },
];

function declaredEvents(detectors: readonly Detector[]): [string, string][] {
  const pairs = new Map<string, [string, string]>();
  for (const detector of detectors) {
    for (const [source, names] of Object.entries(detector.events ?? {})) {
      for (const name of names) {
        // A source taken whole: try names of its kind too.
        for (const each of name === ANY_EVENT_NAME ? ['DeleteLogGroup', 'DeleteTrail', 'PutLogEvents'] : [name]) {
          pairs.set(`${source} ${each}`, [source, each]);
        }
      }
    }
  }
  return [...pairs.values()];
}

function variedRecords(): CloudTrailRecord[] {
  const events: [unknown, unknown][] = [
    ...declaredEvents(BUILT_IN_DETECTORS),
    ['ec2.amazonaws.com', 'DescribeInstances'],
    ['unknown.amazonaws.com', 'DeleteTrail'],
    ['cloudtrail.amazonaws.com', 'LookupEvents'],
    ['s3.amazonaws.com', 'constructor'],
    ['__proto__', 'toString'],
    [undefined, 'StopLogging'],
    ['cloudtrail.amazonaws.com', undefined],
    ['cloudtrail.amazonaws.com', ['StopLogging']],
    [42, {}],
  ];
  const records: CloudTrailRecord[] = [];
  let n = 0;
  for (const [eventSource, eventName] of events) {
    for (const userIdentity of IDENTITIES) {
      for (const requestParameters of PARAMS) {
        const record = aRecord({
          eventID: `ev-${n++}`,
          eventSource: eventSource as string,
          eventName: eventName as string,
          userIdentity,
          requestParameters,
        });
        records.push(record, aFailed({ ...record, eventID: `ev-${n++}` }));
      }
    }
  }
  const rand = prng(13);
  for (let i = 0; i < 2000; i++)
    records.push(syntheticRecord(rand, '123456789012', 'us-east-1', new Date(Date.UTC(2026, 9, 1, 0, 0, i * 3))));
  return records;
}

const RECORDS = variedRecords();

// What a detector makes of a record: a match, or observations (undefined when neither).
function outcome(detector: Detector, record: CloudTrailRecord): string | undefined {
  const made = detector.kind === 'stateless' ? detector.detect(record) : detector.observe(record, 'object-key');
  if (made === undefined || (Array.isArray(made) && made.length === 0)) return undefined;
  return JSON.stringify(made);
}

const test = suite('DetectorIndex');

test('running only the candidates gives every match and observation that running every detector gives', () => {
  const index = new DetectorIndex(BUILT_IN_DETECTORS);
  const everyDetector: string[] = [];
  const candidatesOnly: string[] = [];
  const matched = new Set<string>();
  for (const [i, record] of RECORDS.entries()) {
    for (const detector of BUILT_IN_DETECTORS) {
      const made = outcome(detector, record);
      if (made !== undefined) {
        everyDetector.push(`${i} ${detector.meta.id} ${made}`);
        matched.add(detector.meta.id);
      }
    }
    const candidates = index.candidates(record);
    for (const detector of [...candidates.stateless, ...candidates.correlating]) {
      const made = outcome(detector, record);
      if (made !== undefined) candidatesOnly.push(`${i} ${detector.meta.id} ${made}`);
    }
  }
  assert.equal(candidatesOnly.sort(), everyDetector.sort());
  // The set has teeth: most detectors match or observe some of its records.
  assert.ok(matched.size >= 35, `only ${matched.size} detectors matched: ${[...matched].join(', ')}`);
});

test('skips most detectors for ordinary records, and keeps the given order', () => {
  const index = new DetectorIndex(BUILT_IN_DETECTORS);
  const order = (list: readonly Detector[]) => list.map((d) => BUILT_IN_DETECTORS.indexOf(d));
  const describe = index.candidates(aRecord({ eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances' }));
  const all = describe.stateless.length + describe.correlating.length;
  assert.ok(all <= 5, `${all} candidates for DescribeInstances`);
  for (const record of RECORDS.slice(0, 500)) {
    const { stateless, correlating } = index.candidates(record);
    assert.equal(
      order(stateless),
      [...order(stateless)].sort((a, b) => a - b),
    );
    assert.equal(
      order(correlating),
      [...order(correlating)].sort((a, b) => a - b),
    );
  }
});

test('a detector that declares no events sees every record', () => {
  const everything: Detector = { ...BUILT_IN_DETECTORS.find((d) => d.meta.id === 'root-user-activity')! };
  const index = new DetectorIndex([everything]);
  for (const record of RECORDS.slice(0, 200)) assert.equal(index.candidates(record).stateless, [everything]);
});

test.run();
