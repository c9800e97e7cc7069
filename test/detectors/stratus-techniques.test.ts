import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { CloudTrailRecord } from '../../functions/core/cloudtrail.ts';
import { correlateInMemory } from '../../functions/core/correlation.ts';
import { BUILT_IN_DETECTORS } from '../../functions/detectors/index.ts';
import { STRATUS_AWS_TECHNIQUES } from '../../functions/detectors/stratus.ts';
import type { Detector } from '../../functions/detectors/types.ts';
import { timesFrom } from '../helpers/correlation.ts';
import {
  aCall,
  aFailed,
  aRecord,
  anAssumedRole,
  anIamUser,
  anInstanceSession,
  EC2_ENUMERATE_FROM_INSTANCE,
} from '../helpers/records.ts';

/*
 * Each Stratus Red Team AWS technique, as the CloudTrail events its documentation shows (shapes
 * from the technique pages and the API's CloudTrail examples; ids redacted). Every detector that
 * claims the technique in `meta.stratus` must fire on them: the claims in docs/coverage.md hold.
 */

const T0 = '2026-10-01T12:00:00Z';
const at = (records: CloudTrailRecord[]) =>
  records.map((record, i) => ({ ...record, eventTime: timesFrom(T0, records.length)[i] }));
const many = (count: number, make: (i: number) => CloudTrailRecord) =>
  at(Array.from({ length: count }, (_, i) => make(i)));
const instances = (i: number) => `i-0a1b2c3d4e5f6078${i}`;
const external = 'arn:aws:iam::193672423079:root';
const trust = (principal: unknown) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }],
  });
const data = { eventCategory: 'Data', managementEvent: false };

const DOCUMENTED: Record<string, () => CloudTrailRecord[]> = {
  'aws.credential-access.ec2-get-password-data': () =>
    many(3, (i) =>
      aFailed(aCall('ec2', 'GetPasswordData', { instanceId: instances(i) }), 'Client.UnauthorizedOperation'),
    ),
  // The instance's own agent call (through SSM, which Stratus uses to read the credentials), then the thief's.
  'aws.credential-access.ec2-steal-instance-credentials': () => [
    aRecord({
      eventTime: '2026-11-30T10:00:00Z',
      eventSource: 'ssm.amazonaws.com',
      eventName: 'UpdateInstanceInformation',
      userIdentity: anInstanceSession(),
      sourceIPAddress: '198.51.100.10',
    }),
    aRecord({
      eventTime: '2026-11-30T10:05:00Z',
      eventSource: 'sts.amazonaws.com',
      eventName: 'GetCallerIdentity',
      userIdentity: anInstanceSession(),
      sourceIPAddress: '203.0.113.66',
    }),
  ],
  'aws.credential-access.secretsmanager-batch-retrieve-secrets': () =>
    many(5, () =>
      aCall(
        'secretsmanager',
        'BatchGetSecretValue',
        { filters: [{ key: 'tag-key', values: ['StratusRedTeam'] }] },
        { readOnly: true },
      ),
    ),
  'aws.credential-access.secretsmanager-retrieve-secrets': () =>
    many(20, (i) =>
      aCall('secretsmanager', 'GetSecretValue', {
        secretId: `arn:aws:secretsmanager:us-east-1:123456789012:secret:stratus-${i}`,
      }),
    ),
  'aws.credential-access.ssm-retrieve-securestring-parameters': () => [
    ...many(3, () => aCall('ssm', 'DescribeParameters', { maxResults: 10 })),
    ...many(4, (b) =>
      aCall('ssm', 'GetParameters', {
        names: Array.from({ length: 10 }, (_, i) => `/credentials/stratus-red-team/credentials-${b * 10 + i}`),
        withDecryption: true,
      }),
    ),
  ],
  'aws.defense-evasion.cloudtrail-delete': () => [
    aCall('cloudtrail', 'DeleteTrail', { name: 'stratus-red-team-trail' }),
  ],
  'aws.defense-evasion.cloudtrail-event-selectors': () => [
    aCall('cloudtrail', 'PutEventSelectors', {
      trailName: 'stratus-red-team-trail',
      eventSelectors: [{ readWriteType: 'All', includeManagementEvents: false, dataResources: [] }],
    }),
  ],
  'aws.defense-evasion.cloudtrail-lifecycle-rule': () => [
    aCall('s3', 'PutBucketLifecycle', {
      bucketName: 'stratus-red-team-cloudtrail-bucket',
      LifecycleConfiguration: {
        Rule: {
          ID: 'nuke-cloudtrail-logs-after-1-day',
          Status: 'Enabled',
          Filter: { Prefix: '*' },
          Expiration: { Days: 1 },
        },
      },
      lifecycle: '',
    }),
  ],
  'aws.defense-evasion.cloudtrail-stop': () => [aCall('cloudtrail', 'StopLogging', { name: 'stratus-red-team-trail' })],
  'aws.defense-evasion.dns-delete-logs': () => [
    aCall('route53resolver', 'DeleteResolverQueryLogConfig', { resolverQueryLogConfigId: 'rqlc-0abc' }),
  ],
  'aws.defense-evasion.organizations-leave': () => [
    aFailed(aCall('organizations', 'LeaveOrganization'), 'AccessDeniedException'),
  ],
  'aws.defense-evasion.vpc-remove-flow-logs': () => [
    aCall('ec2', 'DeleteFlowLogs', { DeleteFlowLogsRequest: { FlowLogId: { content: 'fl-0abc', tag: 1 } } }),
  ],
  'aws.discovery.ec2-download-user-data': () =>
    many(10, (i) =>
      aFailed(
        aCall(
          'ec2',
          'DescribeInstanceAttribute',
          { instanceId: instances(i), attribute: 'userData' },
          { readOnly: true },
        ),
        'Client.UnauthorizedOperation',
      ),
    ),
  'aws.discovery.ec2-enumerate-from-instance': () =>
    at(
      EC2_ENUMERATE_FROM_INSTANCE.map(([source, name]) =>
        aCall(source, name, null, { userIdentity: anInstanceSession(), readOnly: true }),
      ),
    ),
  'aws.discovery.ses-enumerate': () =>
    at(
      ['GetAccountSendingEnabled', 'GetSendQuota', 'ListIdentities'].map((name) =>
        aCall('ses', name, null, { readOnly: true }),
      ),
    ),
  'aws.execution.ec2-launch-unusual-instances': () => [
    aFailed(
      aCall(
        'ec2',
        'RunInstances',
        { instanceType: 'p2.xlarge', instancesSet: { items: [{ imageId: 'ami-0abc', minCount: 1, maxCount: 10 }] } },
        { userIdentity: anAssumedRole('stratus-ec2lui-role', 'aws-go-sdk-1') },
      ),
      'Client.UnauthorizedOperation',
    ),
  ],
  'aws.execution.ec2-user-data': () => [
    aCall('ec2', 'ModifyInstanceAttribute', { instanceId: instances(0), userData: '<sensitiveDataRemoved>' }),
  ],
  'aws.execution.sagemaker-update-lifecycle-config': () => [
    aCall('sagemaker', 'CreateNotebookInstanceLifecycleConfig', {
      notebookInstanceLifecycleConfigName: 'stratus-lc',
      onStart: [{ content: 'IyEvYmluL2Jhc2g=' }],
    }),
    aCall('sagemaker', 'UpdateNotebookInstance', {
      notebookInstanceName: 'stratus-nb',
      lifecycleConfigName: 'stratus-lc',
    }),
  ],
  'aws.execution.ssm-send-command': () => [
    aCall(
      'ssm',
      'SendCommand',
      { documentName: 'AWS-RunShellScript', instanceIds: [0, 1, 2].map(instances) },
      { eventTime: T0 },
    ),
  ],
  'aws.execution.ssm-start-session': () => many(3, (i) => aCall('ssm', 'StartSession', { target: instances(i) })),
  'aws.exfiltration.ec2-security-group-open-port-22-ingress': () => [
    aCall('ec2', 'AuthorizeSecurityGroupIngress', {
      groupId: 'sg-0abc',
      ipPermissions: {
        items: [
          {
            ipProtocol: 'tcp',
            fromPort: 22,
            toPort: 22,
            groups: {},
            ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] },
            ipv6Ranges: {},
            prefixListIds: {},
          },
        ],
      },
    }),
  ],
  'aws.exfiltration.ec2-share-ami': () => [
    aCall('ec2', 'ModifyImageAttribute', {
      imageId: 'ami-0abc',
      launchPermission: { add: { items: [{ userId: '012345678912' }] } },
      attributeType: 'launchPermission',
    }),
  ],
  'aws.exfiltration.ec2-share-ebs-snapshot': () => [
    aCall('ec2', 'ModifySnapshotAttribute', {
      attributeType: 'CREATE_VOLUME_PERMISSION',
      createVolumePermission: { add: { items: [{ userId: '098797384747' }] } },
      snapshotId: 'snap-0abc',
    }),
  ],
  'aws.exfiltration.rds-share-snapshot': () => [
    aCall('rds', 'ModifyDBSnapshotAttribute', {
      dBSnapshotIdentifier: 'exfiltration',
      attributeName: 'restore',
      valuesToAdd: ['193672423079'],
    }),
  ],
  'aws.exfiltration.s3-backdoor-bucket-policy': () => [
    aCall('s3', 'PutBucketPolicy', {
      bucketName: 'stratus-red-team-bucket',
      bucketPolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: external },
            Action: ['s3:GetObject', 's3:GetBucketLocation', 's3:ListBucket'],
            Resource: ['arn:aws:s3:::stratus-red-team-bucket/*', 'arn:aws:s3:::stratus-red-team-bucket'],
          },
        ],
      },
      policy: '',
    }),
  ],
  'aws.impact.bedrock-invoke-model': () => [
    aCall('bedrock', 'ListFoundationModels', null, { eventTime: T0 }),
    aCall('bedrock', 'InvokeModel', { modelId: 'anthropic.claude-v2' }, { eventTime: T0 }),
  ],
  'aws.impact.s3-ransomware-batch-deletion': () => [
    aCall(
      's3',
      'DeleteObjects',
      {
        bucketName: 'target-bucket',
        Host: 'target-bucket.s3.us-east-1.amazonaws.com',
        delete: '',
        'x-id': 'DeleteObjects',
      },
      { ...data, eventTime: T0 },
    ),
  ],
  'aws.impact.s3-ransomware-client-side-encryption': () => [
    aCall(
      's3',
      'CopyObject',
      {
        bucketName: 'target-bucket',
        key: 'target file.txt',
        'x-amz-server-side-encryption-customer-algorithm': 'AES256',
        'x-amz-copy-source': 'target-bucket/target file.txt',
        'x-id': 'CopyObject',
      },
      data,
    ),
  ],
  'aws.impact.s3-ransomware-individual-deletion': () =>
    many(30, (i) =>
      aCall('s3', 'DeleteObject', { bucketName: 'target-bucket', key: `file-${i}.txt`, versionId: `v${i}` }, data),
    ),
  'aws.initial-access.console-login-without-mfa': () => [
    aCall('signin', 'ConsoleLogin', null, {
      userIdentity: anIamUser({ userName: 'stratus-user', accessKeyId: undefined }),
      eventType: 'AwsConsoleSignIn',
      responseElements: { ConsoleLogin: 'Success' },
      additionalEventData: {
        LoginTo: 'https://console.aws.amazon.com/console/home',
        MobileVersion: 'No',
        MFAUsed: 'No',
      },
    }),
  ],
  'aws.lateral-movement.ec2-instance-connect': () =>
    many(3, (i) =>
      aCall('ec2-instance-connect.amazonaws.com', 'SendSSHPublicKey', {
        instanceId: instances(i),
        instanceOSUser: 'ec2-user',
        sSHPublicKey: 'ssh-rsa AAAA',
      }),
    ),
  'aws.lateral-movement.ec2-serial-console-send-ssh-public-key': () => [
    aCall('ec2', 'EnableSerialConsoleAccess'),
    aCall('ec2-instance-connect.amazonaws.com', 'SendSerialConsoleSSHPublicKey', {
      instanceId: instances(0),
      serialPort: 0,
      sSHPublicKey: 'ssh-rsa AAAA',
    }),
  ],
  'aws.persistence.iam-backdoor-role': () => [
    aCall('iam', 'UpdateAssumeRolePolicy', {
      roleName: 'stratus-red-team-role',
      policyDocument: trust({ AWS: external }),
    }),
  ],
  'aws.persistence.iam-backdoor-user': () => [aCall('iam', 'CreateAccessKey', { userName: 'stratus-red-team-user' })],
  'aws.persistence.iam-create-admin-user': () => [
    aCall('iam', 'CreateUser', { userName: 'malicious-iam-user' }),
    aCall('iam', 'AttachUserPolicy', {
      userName: 'malicious-iam-user',
      policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    }),
    aCall('iam', 'CreateAccessKey', { userName: 'malicious-iam-user' }),
  ],
  'aws.persistence.iam-create-backdoor-role': () => [
    aCall('iam', 'CreateRole', {
      roleName: 'stratus-red-team-malicious-iam-role',
      assumeRolePolicyDocument: trust({ AWS: external }),
    }),
    aCall('iam', 'AttachRolePolicy', {
      roleName: 'stratus-red-team-malicious-iam-role',
      policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    }),
  ],
  'aws.persistence.iam-create-user-login-profile': () => [
    aCall('iam', 'CreateLoginProfile', { userName: 'stratus-red-team-user', passwordResetRequired: false }),
  ],
  'aws.persistence.lambda-backdoor-function': () => [
    aCall('lambda', 'AddPermission20150331v2', {
      action: 'lambda:InvokeFunction',
      functionName: 'stratus-red-team-backdoor-f-func',
      principal: '*',
      statementId: 'backdoor',
    }),
  ],
  'aws.persistence.lambda-layer-extension': () => [
    aCall('lambda', 'PublishLayerVersion20181031', { layerName: 'stratus-layer' }),
    aCall('lambda', 'UpdateFunctionConfiguration20150331v2', {
      functionName: 'stratus-func',
      layers: ['arn:aws:lambda:us-east-1:123456789012:layer:stratus-layer:1'],
    }),
  ],
  'aws.persistence.lambda-overwrite-code': () => [
    aCall('lambda', 'UpdateFunctionCode20150331v2', { functionName: 'stratus-func', publish: false }),
  ],
  'aws.persistence.rolesanywhere-create-trust-anchor': () => [
    aCall('rolesanywhere', 'CreateTrustAnchor', {
      enabled: true,
      name: 'malicious-rolesanywhere-trust-anchor',
      source: { sourceType: 'CERTIFICATE_BUNDLE', sourceData: { x509CertificateData: '-----BEGIN CERTIFICATE-----' } },
    }),
    aCall('rolesanywhere', 'CreateProfile', {
      name: 'malicious-rolesanywhere-profile',
      roleArns: ['arn:aws:iam::123456789012:role/stratus-red-team-trust-anchor-role'],
    }),
  ],
  'aws.persistence.sts-federation-token': () => [
    aCall('sts', 'GetFederationToken', { name: 'stratus_red_team', durationSeconds: 129600 }),
  ],
  'aws.privilege-escalation.iam-update-user-login-profile': () => [
    aCall('iam', 'UpdateLoginProfile', { userName: 'stratus-red-team-user', passwordResetRequired: false }),
  ],
};

async function fires(detector: Detector, records: CloudTrailRecord[]): Promise<boolean> {
  if (detector.kind === 'stateless') return records.some((record) => detector.detect(record) !== undefined);
  return (await correlateInMemory(detector, [{ key: 'AWSLogs/123456789012/stratus.json.gz', records }])).length > 0;
}

const test = suite('Stratus Red Team AWS techniques');

test('the table holds every technique of the list, and only those', () => {
  assert.equal(Object.keys(DOCUMENTED).sort(), Object.keys(STRATUS_AWS_TECHNIQUES).sort());
});

test('every detector that claims a technique fires on its documented events', async () => {
  let checked = 0;
  for (const detector of BUILT_IN_DETECTORS) {
    for (const technique of detector.meta.stratus ?? []) {
      const make = DOCUMENTED[technique];
      assert.ok(make, `${technique} has no documented events in this table`);
      assert.ok(await fires(detector, make()), `${detector.meta.id} does not fire on ${technique}`);
      checked++;
    }
  }
  assert.ok(checked >= Object.keys(DOCUMENTED).length, `only ${checked} claims checked`);
});

test.run();
