import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AmazonLinuxCpuType,
  BlockDeviceVolume,
  EbsDeviceVolumeType,
  Instance,
  InstanceClass,
  InstanceSize,
  InstanceType,
  MachineImage,
  SubnetType,
  UserData,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFn } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { FUNCTION_RUNTIME } from './audit-functions.ts';
import { acknowledgeWildcard, nagArn } from './iam.ts';

export interface DemoActivityProps {
  logRetention: RetentionDays;
}

/** Names of everything the generator creates and deletes; its grants are limited to them. */
export const DEMO_NAME_PREFIX = 'trail-auditor-demo-';
const CREDENTIALS_KEY = 'credentials.json';

/**
 * `demoActivity=true`: the workshop's activity generator, rebuilt. An instance (IMDSv2 only)
 * copies its role credentials to a private bucket every 30 minutes (the workshop copied them
 * once, so the off-instance detection stopped when they expired), and a function every 5 minutes
 * creates a log group and a trail, uses the stolen credentials from outside the instance
 * (S3 ListObjects, GetBucketPolicy), stops the trail's logging and deletes both.
 * Everything here is deleted with the stack.
 */
export class DemoActivity extends Construct {
  readonly bucket: Bucket;
  readonly instance: Instance;
  readonly generator: LambdaFn;

  constructor(scope: Construct, id: string, props: DemoActivityProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // Holds the stolen credentials, is what they are used on, and receives the short-lived trails.
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    // CreateTrail checks that CloudTrail may write to the bucket.
    const cloudtrail = new ServicePrincipal('cloudtrail.amazonaws.com');
    const sourceAccount = { StringEquals: { 'aws:SourceAccount': stack.account } };
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        principals: [cloudtrail],
        actions: ['s3:GetBucketAcl'],
        resources: [this.bucket.bucketArn],
        conditions: sourceAccount,
      }),
    );
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        principals: [cloudtrail],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`AWSLogs/${stack.account}/*`)],
        conditions: sourceAccount,
      }),
    );
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Demo bucket holding one object (the copied demo credentials); access to it is the attack CloudTrail records, and it is deleted with the stack.',
    });

    // The victim instance: no inbound access at all, IMDSv2 required, in a one-subnet VPC without NAT.
    const vpc = new Vpc(this, 'Vpc', {
      maxAzs: 1,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Public', subnetType: SubnetType.PUBLIC, cidrMask: 28 }],
      restrictDefaultSecurityGroup: false,
    });
    Validations.of(vpc).acknowledge({
      id: 'AwsSolutions-VPC7',
      reason: 'Demo VPC with one instance and no inbound rules; CloudTrail, not flow logs, is what the demo exercises.',
    });
    const instanceRole = new Role(this, 'InstanceRole', {
      assumedBy: new ServicePrincipal('ec2.amazonaws.com'),
      description: 'trail-auditor demo: the role whose credentials get stolen',
    });
    instanceRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects(CREDENTIALS_KEY)] }),
    );
    // What the thief does with them: a data event (ListObjects) and a management read (GetBucketPolicy).
    instanceRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:ListBucket', 's3:GetBucketPolicy'], resources: [this.bucket.bucketArn] }),
    );

    const userData = UserData.forLinux();
    userData.addCommands(
      "cat > /usr/local/bin/copy-instance-credentials <<'EOF'",
      '#!/bin/bash',
      '# IMDSv2: a session token first, then the role credentials; refreshed before they expire.',
      'set -euo pipefail',
      "token=$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')",
      'role=$(curl -sf -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/iam/security-credentials/)',
      'curl -sf -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/iam/security-credentials/$role" \\',
      `  | aws s3 cp - "s3://${this.bucket.bucketName}/${CREDENTIALS_KEY}" --region ${stack.region}`,
      'EOF',
      'chmod 755 /usr/local/bin/copy-instance-credentials',
      "cat > /etc/systemd/system/copy-instance-credentials.service <<'EOF'",
      '[Unit]',
      'Description=trail-auditor demo: copy the instance role credentials off the instance',
      '[Service]',
      'Type=oneshot',
      'ExecStart=/usr/local/bin/copy-instance-credentials',
      'EOF',
      "cat > /etc/systemd/system/copy-instance-credentials.timer <<'EOF'",
      '[Timer]',
      'OnBootSec=1min',
      'OnUnitActiveSec=30min',
      '[Install]',
      'WantedBy=timers.target',
      'EOF',
      'systemctl daemon-reload',
      'systemctl enable --now copy-instance-credentials.timer',
    );
    this.instance = new Instance(this, 'Instance', {
      vpc,
      vpcSubnets: { subnetType: SubnetType.PUBLIC },
      associatePublicIpAddress: true,
      instanceType: InstanceType.of(InstanceClass.T4G, InstanceSize.NANO),
      machineImage: MachineImage.latestAmazonLinux2023({ cpuType: AmazonLinuxCpuType.ARM_64 }),
      requireImdsv2: true,
      role: instanceRole,
      userData,
      userDataCausesReplacement: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: BlockDeviceVolume.ebs(8, { encrypted: true, volumeType: EbsDeviceVolumeType.GP3 }),
        },
      ],
    });
    Validations.of(this.instance).acknowledge(
      {
        id: 'AwsSolutions-EC28',
        reason: 'Demo instance: detailed monitoring would add cost and nothing the demo needs.',
      },
      {
        id: 'AwsSolutions-EC29',
        reason:
          'Demo instance: it must go away with `cdk destroy`, so no termination protection or Auto Scaling group.',
      },
    );

    // The attacker: every 5 minutes, from outside the instance.
    const logGroup = new LogGroup(this, 'GeneratorLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(this, 'GeneratorRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'trail-auditor demo activity generator',
    });
    logGroup.grantWrite(role);
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [this.bucket.arnForObjects(CREDENTIALS_KEY)] }),
    );
    const logGroups = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `${DEMO_NAME_PREFIX}*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const trails = stack.formatArn({ service: 'cloudtrail', resource: 'trail', resourceName: `${DEMO_NAME_PREFIX}*` });
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['logs:CreateLogGroup', 'logs:DeleteLogGroup'], resources: [logGroups] }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['cloudtrail:CreateTrail', 'cloudtrail:StopLogging', 'cloudtrail:DeleteTrail'],
        resources: [trails],
      }),
    );
    acknowledgeWildcard(
      role,
      `Resource::${nagArn(this, logGroups)}`,
      `The generator creates and deletes log groups with random names; the grant is limited to names starting ${DEMO_NAME_PREFIX}.`,
    );
    acknowledgeWildcard(
      role,
      `Resource::${nagArn(this, trails)}`,
      `The generator creates, stops and deletes trails with random names; the grant is limited to names starting ${DEMO_NAME_PREFIX}.`,
    );

    this.generator = new LambdaFn(this, 'Generator', {
      description: 'trail-auditor demo: the workshop attack, every 5 minutes',
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      handler: 'index.handler',
      code: Code.fromInline(GENERATOR_CODE),
      timeout: Duration.minutes(2),
      memorySize: 256,
      role,
      logGroup,
      environment: { DEMO_BUCKET: this.bucket.bucketName, DEMO_NAME_PREFIX, CREDENTIALS_KEY },
    });
    new Rule(this, 'Every5Minutes', {
      schedule: Schedule.rate(Duration.minutes(5)),
      targets: [new LambdaFunction(this.generator)],
    });
  }
}

/** The generator (CommonJS; the Node.js runtime provides the SDK v3 clients). */
const GENERATOR_CODE = `
const { S3Client, GetObjectCommand, ListObjectsCommand, GetBucketPolicyCommand } = require('@aws-sdk/client-s3');
const { CloudTrailClient, CreateTrailCommand, StopLoggingCommand, DeleteTrailCommand } = require('@aws-sdk/client-cloudtrail');
const { CloudWatchLogsClient, CreateLogGroupCommand, DeleteLogGroupCommand } = require('@aws-sdk/client-cloudwatch-logs');
const { DEMO_BUCKET: bucket, DEMO_NAME_PREFIX: prefix, CREDENTIALS_KEY: key } = process.env;
const pause = () => new Promise((resolve) => setTimeout(resolve, 10000 + Math.random() * 20000));
exports.handler = async () => {
  const name = prefix + Array.from({ length: 5 }, () => 'abcdefghijklmnopqrstuvwxyz'[Math.floor(Math.random() * 26)]).join('');
  const logs = new CloudWatchLogsClient({});
  const trails = new CloudTrailClient({});
  await logs.send(new CreateLogGroupCommand({ logGroupName: name }));
  try {
    await trails.send(new CreateTrailCommand({ Name: name, S3BucketName: bucket }));
    try {
      const object = await new S3Client({}).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const stolen = JSON.parse(await object.Body.transformToString());
      const thief = new S3Client({ credentials: { accessKeyId: stolen.AccessKeyId, secretAccessKey: stolen.SecretAccessKey, sessionToken: stolen.Token } });
      await thief.send(new ListObjectsCommand({ Bucket: bucket, MaxKeys: 10 }));
      await thief.send(new GetBucketPolicyCommand({ Bucket: bucket }));
      console.log('used instance credentials of', stolen.Expiration ? 'expiry ' + stolen.Expiration : 'unknown expiry');
    } catch (error) {
      // No credentials yet (the instance copies them a minute after boot) or expired: go on.
      console.log('stolen credentials not usable:', error.name, error.message);
    }
    await pause();
    await trails.send(new StopLoggingCommand({ Name: name }));
    await pause();
  } finally {
    await logs.send(new DeleteLogGroupCommand({ logGroupName: name }));
    await trails.send(new DeleteTrailCommand({ Name: name })).catch((error) => console.log('DeleteTrail:', error.name));
  }
  return { name };
};
`;
