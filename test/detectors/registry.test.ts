import { existsSync, readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CloudTrailRecord } from '../../functions/core/cloudtrail.ts';
import { BUILT_IN_DETECTORS, detectorById } from '../../functions/detectors/index.ts';
import { FAILED_CALLS, SEVERITIES } from '../../functions/detectors/types.ts';
import { ATTACK_VERSION } from '../../functions/detectors/mitre.ts';
import { STRATUS_AWS_TECHNIQUES } from '../../functions/detectors/stratus.ts';
import { aRecord, aRootUser } from '../helpers/records.ts';

const test = suite('BUILT_IN_DETECTORS');
const detectorsDir = new URL('../../functions/detectors/', import.meta.url);
const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const MITRE_ID = /^T\d{4}(\.\d{3})?$/;

test('ids are unique', () => {
  const ids = BUILT_IN_DETECTORS.map((detector) => detector.meta.id);
  assert.equal(ids.length, new Set(ids).size);
});

test('each id is kebab-case and names a file in functions/detectors', () => {
  for (const { meta } of BUILT_IN_DETECTORS) {
    assert.ok(KEBAB.test(meta.id), `${meta.id} is not kebab-case`);
    assert.ok(existsSync(new URL(`${meta.id}.ts`, detectorsDir)), `${meta.id}.ts is missing`);
  }
});

test('each detector has a test file of its own', () => {
  for (const { meta } of BUILT_IN_DETECTORS) {
    assert.ok(
      existsSync(new URL(`${meta.id}.test.ts`, import.meta.url)),
      `test/detectors/${meta.id}.test.ts is missing`,
    );
  }
});

const attack = JSON.parse(
  readFileSync(new URL(`../fixtures/attack-enterprise-${ATTACK_VERSION}.json`, import.meta.url), 'utf8'),
) as {
  attackVersion: string;
  release: string;
  source: string;
  techniques: Record<string, string>;
};

test('every ATT&CK technique id exists in the pinned ATT&CK version and its name matches', () => {
  assert.is(attack.attackVersion, ATTACK_VERSION);
  assert.ok(attack.source.includes('attack-stix-data'), 'the fixture names its source');
  assert.ok(attack.release.startsWith(`ATT&CK Enterprise ${ATTACK_VERSION} `), 'the fixture names its release');
  for (const { meta } of BUILT_IN_DETECTORS) {
    const name = attack.techniques[meta.mitre.id];
    assert.ok(
      name !== undefined,
      `${meta.id}: ${meta.mitre.id} is not an ATT&CK ${ATTACK_VERSION} technique the fixture knows`,
    );
    assert.is(meta.mitre.name, name, `${meta.id}: name of ${meta.mitre.id}`);
  }
});

test('every Stratus Red Team AWS technique has a built-in detector, and every claim names a known technique', () => {
  const claimed = new Set(BUILT_IN_DETECTORS.flatMap((detector) => detector.meta.stratus ?? []));
  for (const id of Object.keys(STRATUS_AWS_TECHNIQUES)) assert.ok(claimed.has(id), `no built-in detector for ${id}`);
  for (const id of claimed) assert.ok(id in STRATUS_AWS_TECHNIQUES, `unknown Stratus technique ${id}`);
});

test('the workshop detectors come first', () => {
  assert.equal(
    BUILT_IN_DETECTORS.slice(0, 2).map((detector) => detector.meta.id),
    ['deleting-logs', 'instance-creds-used-outside-ec2'],
  );
});

test('metadata is complete: severity, MITRE technique, texts, references, failed-call handling', () => {
  const handlings: string[] = Object.values(FAILED_CALLS);
  for (const { meta } of BUILT_IN_DETECTORS) {
    const at = `in ${meta.id}`;
    assert.ok((SEVERITIES as readonly string[]).includes(meta.severity), `severity ${at}`);
    assert.ok(MITRE_ID.test(meta.mitre.id), `mitre id ${at}`);
    assert.ok(meta.mitre.name.trim().length > 0, `mitre name ${at}`);
    for (const text of [meta.title, meta.description, meta.runbook])
      assert.ok(text.trim().length > 0, `empty text ${at}`);
    assert.ok(meta.references.length > 0, `references ${at}`);
    for (const reference of meta.references)
      assert.ok(reference.startsWith('https://'), `reference ${reference} ${at}`);
    assert.ok(Array.isArray(meta.falsePositives), `falsePositives ${at}`);
    assert.ok(handlings.includes(meta.failedCalls), `failedCalls ${at}`);
  }
});

test('detectorById finds every built-in detector', () => {
  for (const detector of BUILT_IN_DETECTORS) assert.is(detectorById(detector.meta.id), detector);
  assert.is(detectorById('no-such-detector'), undefined);
});

// Every eventSource/eventName the catalogue looks at, so odd parameters reach the detectors' parsing code.
const EVENTS: Record<string, string[]> = {
  'cloudtrail.amazonaws.com': ['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors'],
  'logs.amazonaws.com': ['DeleteLogGroup', 'DeleteLogStream'],
  'ec2.amazonaws.com': [
    'DeleteFlowLogs',
    'AuthorizeSecurityGroupIngress',
    'ModifyInstanceAttribute',
    'ModifyImageAttribute',
    'ModifySnapshotAttribute',
  ],
  'route53resolver.amazonaws.com': ['DeleteResolverQueryLogConfig', 'DisassociateResolverQueryLogConfig'],
  'guardduty.amazonaws.com': ['DeleteDetector', 'UpdateDetector', 'DisassociateFromAdministratorAccount'],
  'config.amazonaws.com': ['StopConfigurationRecorder', 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel'],
  'signin.amazonaws.com': ['ConsoleLogin'],
  'iam.amazonaws.com': ['AttachUserPolicy', 'PutRolePolicy', 'CreateAccessKey', 'UpdateLoginProfile'],
  's3.amazonaws.com': [
    'PutBucketPolicy',
    'PutBucketAcl',
    'DeleteBucketPublicAccessBlock',
    'PutBucketPublicAccessBlock',
    'PutAccountPublicAccessBlock',
  ],
  'kms.amazonaws.com': ['ScheduleKeyDeletion', 'DisableKey'],
  'rds.amazonaws.com': ['ModifyDBSnapshotAttribute'],
  'organizations.amazonaws.com': ['LeaveOrganization'],
  'secretsmanager.amazonaws.com': ['GetSecretValue', 'BatchGetSecretValue'],
  'ssm.amazonaws.com': ['GetParameters', 'GetParameter', 'GetParametersByPath', 'StartSession', 'SendCommand'],
  'ec2-instance-connect.amazonaws.com': ['SendSSHPublicKey', 'SendSerialConsoleSSHPublicKey'],
  'lambda.amazonaws.com': [
    'AddPermission20150331v2',
    'UpdateFunctionCode20150331v2',
    'UpdateFunctionConfiguration20150331v2',
  ],
  'rolesanywhere.amazonaws.com': ['CreateTrustAnchor'],
  'sts.amazonaws.com': ['GetFederationToken', 'GetCallerIdentity'],
  'bedrock.amazonaws.com': ['InvokeModel'],
  'sagemaker.amazonaws.com': ['UpdateNotebookInstance'],
  'ses.amazonaws.com': ['ListIdentities'],
};
EVENTS['ec2.amazonaws.com']!.push('RunInstances', 'GetPasswordData', 'DescribeInstanceAttribute');
EVENTS['iam.amazonaws.com']!.push('UpdateAssumeRolePolicy', 'CreateRole');
EVENTS['s3.amazonaws.com']!.push('PutBucketLifecycle', 'DeleteObject', 'DeleteObjects', 'CopyObject');

const ODD_VALUES: unknown[] = [null, undefined, [], [{}], 'a string', 42, true, {}];
const deep = Array.from({ length: 500 }).reduce<unknown>((inner) => ({ items: [inner] }), 'fl-deep');
// Each known field set to the wrong type, or to a value that breaks naive parsing.
const ODD_PARAMS: unknown[] = [
  ...ODD_VALUES,
  {
    name: {},
    trailName: [],
    logGroupName: 1,
    userName: { nested: true },
    policyArn: ['arn:aws:iam::aws:policy/AdministratorAccess'],
  },
  { policyDocument: '%E0%A4%A', bucketPolicy: 'null', policy: '[1,2]', userName: 'bob' },
  { policyDocument: '{"Statement":[null,"x",1,{"Effect":"Allow","Action":null,"Resource":{}}]}' },
  { policyDocument: 'x'.repeat(200_000) },
  { bucketPolicy: { Statement: 'x' } },
  { bucketPolicy: { Statement: [{ Effect: 'Allow', Principal: null, Condition: 'x' }] } },
  { ipPermissions: 'x', cidrIp: ['0.0.0.0/0'] },
  { ipPermissions: { items: [null, 'x', { ipRanges: 'x', ipv6Ranges: { items: {} }, fromPort: 'x', toPort: {} }] } },
  { ipPermissions: { items: [{ ipProtocol: {}, ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] }, fromPort: 22 }] } },
  { eventSelectors: [null, 'x', 1, { readWriteType: {}, excludeManagementEventSources: 'x' }] },
  {
    advancedEventSelectors: [
      null,
      { fieldSelectors: 'x' },
      { fieldSelectors: [null, { field: {}, equals: 'Management' }] },
    ],
  },
  {
    advancedEventSelectors: [{ fieldSelectors: [{ field: 'eventCategory', equals: ['Management'] }, { field: null }] }],
  },
  { PublicAccessBlockConfiguration: [], 'x-amz-acl': {}, AccessControlPolicy: 'x' },
  { launchPermission: { add: { items: 'x' } }, createVolumePermission: { add: [null, { userId: {} }] } },
  { attributeName: 'restore', valuesToAdd: 'all' },
  { attributeName: 'restore', valuesToAdd: [null, 1, {}] },
  { enable: 'false', detectorId: null, pendingWindowInDays: {} },
  { userData: {}, attribute: ['userData'] },
  { DeleteFlowLogsRequest: deep },
  { names: [null, {}, 1, 'x'.repeat(10_000)], withDecryption: true, secretIdList: 'x', filters: [null], secretId: {} },
  {
    target: ['i-1'],
    instanceIds: { items: 'x' },
    targets: [null, { key: {}, values: 'x' }],
    instanceId: 42,
    attribute: 'userData',
  },
  {
    principal: '*',
    layers: ['arn:aws:lambda:us-east-1:999988887777:layer:x:1', null],
    functionName: {},
    policyDocument: '{"Statement":{"Principal":{"AWS":[null,1]}}}',
  },
  {
    instanceType: {},
    instancesSet: { items: [{ maxCount: 'lots' }, null] },
    LifecycleConfiguration: { Rule: [null, { Expiration: { Days: 'x' } }] },
  },
  { 'x-amz-server-side-encryption-customer-algorithm': ['AES256'], key: {}, bucketName: [] },
];
const ODD_IDENTITIES: unknown[] = [
  undefined,
  null,
  'Root',
  [],
  {},
  { type: ['Root'] },
  aRootUser({ invokedBy: {} as string }),
  { type: 'IAMUser', userName: {} },
];
const ODD_CONTEXT: Partial<Record<keyof CloudTrailRecord, unknown>>[] = [
  {},
  { errorCode: 'AccessDenied' },
  { errorCode: {}, errorMessage: [] },
  { responseElements: { ConsoleLogin: ['Success'] }, additionalEventData: 'x' },
  { responseElements: { ConsoleLogin: 'Success' }, additionalEventData: { MFAUsed: 'No' } },
  { awsRegion: {}, recipientAccountId: [], sourceIPAddress: null, eventType: 42 },
];

function* oddRecords(): Generator<CloudTrailRecord> {
  yield {} as CloudTrailRecord;
  yield {
    eventSource: null,
    eventName: null,
    userIdentity: null,
    requestParameters: null,
  } as unknown as CloudTrailRecord;
  yield { eventSource: {}, eventName: [], userIdentity: 'x', requestParameters: 'x' } as unknown as CloudTrailRecord;
  for (const [eventSource, names] of Object.entries(EVENTS)) {
    for (const eventName of names) {
      for (const requestParameters of ODD_PARAMS) {
        for (const userIdentity of ODD_IDENTITIES) {
          for (const context of ODD_CONTEXT) {
            yield aRecord({
              eventSource,
              eventName,
              requestParameters,
              userIdentity,
              ...context,
            } as Partial<CloudTrailRecord>);
          }
        }
      }
    }
  }
}

test('stateless detectors never throw on odd records and return a match or undefined', () => {
  const stateless = BUILT_IN_DETECTORS.filter((detector) => detector.kind === 'stateless');
  let checked = 0;
  for (const record of oddRecords()) {
    for (const detector of stateless) {
      let result: unknown;
      try {
        result = detector.detect(record);
      } catch (error) {
        assert.unreachable(`${detector.meta.id} threw on ${JSON.stringify(record).slice(0, 300)}: ${String(error)}`);
      }
      assert.ok(
        result === undefined || (typeof result === 'object' && result !== null),
        `${detector.meta.id} returned ${String(result)}`,
      );
      const severity = (result as { severity?: unknown } | undefined)?.severity;
      assert.ok(
        severity === undefined || (SEVERITIES as readonly unknown[]).includes(severity),
        `${detector.meta.id} returned severity ${String(severity)}`,
      );
      checked++;
    }
  }
  assert.ok(checked > 10_000);
});

test('correlating detectors never throw on odd records, and their aggregates merge with themselves', () => {
  const correlating = BUILT_IN_DETECTORS.filter((detector) => detector.kind === 'correlating');
  assert.ok(correlating.length >= 10);
  for (const record of oddRecords()) {
    for (const detector of correlating) {
      let observations: readonly { key: string; aggregate: unknown }[] | undefined;
      try {
        observations = detector.observe({ ...record, eventTime: '2026-10-01T12:00:00Z' }, 'AWSLogs/odd.json.gz');
        for (const { aggregate } of observations ?? []) assert.equal(detector.merge(aggregate, aggregate), aggregate);
      } catch (error) {
        assert.unreachable(`${detector.meta.id} threw on ${JSON.stringify(record).slice(0, 300)}: ${String(error)}`);
      }
    }
  }
});

test.run();
