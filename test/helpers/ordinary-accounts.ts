import { prng } from '../../bench/corpus.ts';
import type { CloudTrailRecord, UserIdentity } from '../../functions/core/cloudtrail.ts';

/*
 * A day of ordinary traffic shaped like a real account, from a seeded generator: the agents and
 * services that call AWS all day, a few deploys and a person browsing the console. Nothing here is
 * an attack. Redacted ids only: account 123456789012, NAT and console addresses in 198.51.100.x and
 * 203.0.113.x, private addresses in 10.0.x.x.
 *
 * - 24 EC2 instances run the SSM agent (UpdateInstanceInformation every 5 min, ec2messages and
 *   ssmmessages polls, ListInstanceAssociations) and the CloudWatch agent (DescribeTags,
 *   CreateLogStream); half reach AWS through VPC endpoints, half through a NAT gateway.
 * - An ECS cluster: its container instances poll ECS; tasks start every 20 min, each pulling from
 *   ECR, reading 3 secrets and one GetParameters call with decryption (5 SecureStrings).
 * - An EKS cluster: pods refresh web-identity credentials every 15 min; nodes pull images.
 * - 5 Lambda functions: a cold start every ~10 min each (KMS Decrypt of its environment, one
 *   secret, a log stream); an application role invokes a Bedrock model every minute.
 * - 6 CI deploys a day through CloudFormation (GitHub Actions via OIDC): change sets, then
 *   CloudFormation's own calls (Lambda code and configuration with an own-account layer, a role's
 *   trust policy for lambda.amazonaws.com, a permission for EventBridge, a security group rule from
 *   the VPC, a bucket policy for the account itself, a 30-day lifecycle on a log bucket).
 * - AWS Config's hourly describes across services; Auto Scaling launching 2 m5.large at 08:00.
 * - 4 Terraform plans a day from a GitHub-hosted runner (OIDC role): describes and reads,
 *   DescribeInstanceAttribute userData for 3 instances, SSM parameters read with decryption.
 * - One person signs in through IAM Identity Center (MFAUsed "No": federated) and an IAM user with
 *   MFA; both browse EC2, S3, IAM, CloudWatch, Lambda and Secrets Manager pages.
 */

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const DAY = Date.parse('2026-11-17T00:00:00Z');
const MINUTE = 60_000;

const SSM_AGENT = 'aws-sdk-go/1.55.5 (go1.22.7; linux; amd64) amazon-ssm-agent/3.3.1142.0';
const CW_AGENT = 'aws-sdk-go/1.55.5 (go1.22.7; linux; amd64) CWAgent/1.300049.1';
const ECS_AGENT = 'aws-sdk-go/1.55.5 (go1.22.7; linux; amd64) ecs-agent/1.88.0';
const SDK_JS = 'aws-sdk-js/3.693.0 ua/2.1 os/linux lang/js md/nodejs#20.18.0 api/secrets-manager#3.693.0';
const TERRAFORM = 'APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.75.0';
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

function role(name: string, session: string, extra: Partial<UserIdentity> = {}): UserIdentity {
  return {
    type: 'AssumedRole',
    principalId: `AROA${name
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, '')
      .slice(0, 12)
      .padEnd(12, 'X')}:${session}`,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/${session}`,
    accountId: ACCOUNT,
    accessKeyId: 'ASIAEXAMPLEORDINARY1',
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: 'AROAEXAMPLEORDINARY1',
        arn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
        accountId: ACCOUNT,
        userName: name,
      },
      attributes: { creationDate: new Date(DAY).toISOString(), mfaAuthenticated: 'false' },
    },
    ...extra,
  };
}

function instanceRole(instance: string, roleName = 'AppServerRole'): UserIdentity {
  const identity = role(roleName, instance);
  (identity.sessionContext as Record<string, unknown>).ec2RoleDelivery = '2.0';
  return identity;
}

/** Seeded ordinary records for one day, in time order. */
export function ordinaryAccountDay(seed = 7): CloudTrailRecord[] {
  const rand = prng(seed);
  const records: CloudTrailRecord[] = [];
  let id = 0;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const jitter = (ms: number) => Math.floor(rand() * ms);
  const add = (
    time: number,
    identity: UserIdentity,
    eventSource: string,
    eventName: string,
    fields: Partial<CloudTrailRecord> = {},
  ) => {
    id++;
    const readOnly = /^(Describe|Get|List|Lookup|Head|BatchGet|Discover|Poll)/.test(eventName);
    records.push({
      eventVersion: '1.10',
      userIdentity: identity,
      eventTime: new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      eventSource: `${eventSource}.amazonaws.com`,
      eventName,
      awsRegion: REGION,
      sourceIPAddress: '198.51.100.20',
      userAgent: SDK_JS,
      requestParameters: null,
      responseElements: null,
      requestID: `ord-${seed}-${id}`,
      eventID: `00000000-0000-4000-9000-${String(id).padStart(12, '0')}`,
      readOnly,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: ACCOUNT,
      eventCategory: 'Management',
      ...fields,
    });
  };

  // EC2 fleet: SSM and CloudWatch agents, all day.
  const instances = Array.from(
    { length: 24 },
    (_, n) => `i-0${(0xa1b2c3d4e5f60000 + n * 7919).toString(16).slice(0, 16)}`,
  );
  instances.forEach((instance, n) => {
    const viaEndpoint = n % 2 === 0;
    const network: Partial<CloudTrailRecord> = viaEndpoint
      ? { sourceIPAddress: `10.0.${n}.${10 + n}`, vpcEndpointId: 'vpce-0a1b2c3d4e5f60789' }
      : { sourceIPAddress: `198.51.100.${1 + (n % 3)}` };
    const identity = instanceRole(instance);
    for (let t = DAY + jitter(5 * MINUTE); t < DAY + 1440 * MINUTE; t += 5 * MINUTE) {
      add(t, identity, 'ssm', 'UpdateInstanceInformation', {
        ...network,
        userAgent: SSM_AGENT,
        requestParameters: { instanceId: instance, agentVersion: '3.3.1142.0', platformType: 'Linux' },
      });
      add(t + 2000, identity, 'ec2messages', 'GetMessages', { ...network, userAgent: SSM_AGENT });
      if ((t - DAY) % (10 * MINUTE) < 5 * MINUTE)
        add(t + 4000, identity, 'ssm', 'ListInstanceAssociations', { ...network, userAgent: SSM_AGENT });
      if ((t - DAY) % (60 * MINUTE) < 5 * MINUTE) {
        add(t + 6000, identity, 'ec2', 'DescribeTags', {
          ...network,
          userAgent: CW_AGENT,
          requestParameters: {
            filterSet: { items: [{ name: 'resource-id', valueSet: { items: [{ value: instance }] } }] },
          },
        });
        add(t + 7000, identity, 'logs', 'CreateLogStream', {
          ...network,
          userAgent: CW_AGENT,
          requestParameters: { logGroupName: '/app/server', logStreamName: instance },
        });
      }
    }
  });

  // ECS: container instances poll; a task starts every 20 minutes and reads its configuration.
  const ecsHosts = instances.slice(0, 4);
  for (let t = DAY; t < DAY + 1440 * MINUTE; t += 20 * MINUTE) {
    const host = pick(ecsHosts);
    const hostIdentity = instanceRole(host, 'ecsInstanceRole');
    add(t, hostIdentity, 'ecs', 'DiscoverPollEndpoint', { userAgent: ECS_AGENT });
    add(t + 1000, hostIdentity, 'ecr', 'GetAuthorizationToken', { userAgent: ECS_AGENT });
    add(t + 1500, hostIdentity, 'ecs', 'SubmitTaskStateChange', { userAgent: ECS_AGENT });
    const task = role('OrdersTaskRole', `${Math.floor(rand() * 1e15).toString(16)}`);
    for (const secret of ['prod/orders/db', 'prod/orders/stripe', 'prod/orders/jwt'])
      add(t + 3000 + jitter(2000), task, 'secretsmanager', 'GetSecretValue', {
        requestParameters: { secretId: secret },
      });
    add(t + 5000, task, 'ssm', 'GetParameters', {
      requestParameters: {
        names: ['/orders/a', '/orders/b', '/orders/c', '/orders/d', '/orders/e'],
        withDecryption: true,
      },
    });
  }

  // EKS: pods refresh web-identity credentials; nodes pull images.
  for (let t = DAY; t < DAY + 1440 * MINUTE; t += 15 * MINUTE) {
    for (const pod of ['checkout', 'search', 'worker']) {
      add(
        t + jitter(MINUTE),
        {
          type: 'WebIdentityUser',
          principalId: `oidc:system:serviceaccount:prod:${pod}`,
          userName: `system:serviceaccount:prod:${pod}`,
          identityProvider: `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE`,
        },
        'sts',
        'AssumeRoleWithWebIdentity',
        {
          userAgent: 'aws-sdk-go-v2/1.32.4 os/linux lang/go#1.22.7',
          requestParameters: { roleArn: `arn:aws:iam::${ACCOUNT}:role/eks-${pod}`, roleSessionName: `${pod}-${t}` },
        },
      );
    }
    add(t + 30_000, instanceRole(pick(instances.slice(4, 8)), 'EksNodeRole'), 'ecr', 'BatchGetImage', {
      userAgent: 'containerd/1.7.22',
    });
  }

  // Lambda: cold starts, and one application invoking Bedrock every minute.
  const functions = ['orders-api', 'image-resize', 'billing-export', 'webhook-in', 'nightly-report'];
  for (const fn of functions) {
    const identity = role(`${fn}-role`, fn);
    for (let t = DAY + jitter(10 * MINUTE); t < DAY + 1440 * MINUTE; t += 8 * MINUTE + jitter(4 * MINUTE)) {
      add(t, { type: 'AWSService', invokedBy: 'lambda.amazonaws.com' }, 'sts', 'AssumeRole', {
        sourceIPAddress: 'lambda.amazonaws.com',
        userAgent: 'lambda.amazonaws.com',
        requestParameters: { roleArn: `arn:aws:iam::${ACCOUNT}:role/${fn}-role`, roleSessionName: fn },
      });
      add(t + 300, identity, 'kms', 'Decrypt', {
        requestParameters: { encryptionContext: { LambdaFunctionName: fn } },
      });
      add(t + 500, identity, 'secretsmanager', 'GetSecretValue', { requestParameters: { secretId: `prod/${fn}` } });
      add(t + 700, identity, 'logs', 'CreateLogStream', {
        requestParameters: { logGroupName: `/aws/lambda/${fn}`, logStreamName: `2026/11/17/[$LATEST]${t}` },
      });
    }
  }
  const assistant = role('assistant-api-role', 'assistant-api');
  for (let t = DAY; t < DAY + 1440 * MINUTE; t += MINUTE) {
    add(t + jitter(MINUTE), assistant, 'bedrock', 'InvokeModel', {
      requestParameters: { modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0' },
    });
  }

  // CI deploys through CloudFormation, 6 a day.
  const ci = role('GitHubActionsDeploy', 'GitHubActions');
  const cfn = role(`cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${REGION}`, 'AWSCloudFormation', {
    invokedBy: 'cloudformation.amazonaws.com',
  });
  const viaCfn: Partial<CloudTrailRecord> = {
    sourceIPAddress: 'cloudformation.amazonaws.com',
    userAgent: 'cloudformation.amazonaws.com',
  };
  for (const hour of [9, 10, 11, 14, 15, 17]) {
    const t = DAY + hour * 60 * MINUTE + jitter(30 * MINUTE);
    add(t, ci, 'cloudformation', 'CreateChangeSet', { requestParameters: { stackName: 'orders-prod' } });
    add(t + 20_000, ci, 'cloudformation', 'DescribeChangeSet', { requestParameters: { stackName: 'orders-prod' } });
    add(t + 30_000, ci, 'cloudformation', 'ExecuteChangeSet', { requestParameters: { stackName: 'orders-prod' } });
    const s = t + 40_000;
    add(s, cfn, 'lambda', 'UpdateFunctionCode20150331v2', {
      ...viaCfn,
      requestParameters: { functionName: 'orders-api', s3Bucket: `cdk-hnb659fds-assets-${ACCOUNT}-${REGION}` },
    });
    add(s + 2000, cfn, 'lambda', 'UpdateFunctionConfiguration20150331v2', {
      ...viaCfn,
      requestParameters: {
        functionName: 'orders-api',
        layers: [`arn:aws:lambda:${REGION}:${ACCOUNT}:layer:shared-deps:42`],
      },
    });
    add(s + 4000, cfn, 'iam', 'UpdateAssumeRolePolicy', {
      ...viaCfn,
      requestParameters: {
        roleName: 'orders-api-role',
        policyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      },
    });
    add(s + 5000, cfn, 'lambda', 'AddPermission20150331v2', {
      ...viaCfn,
      requestParameters: {
        functionName: 'orders-api',
        statementId: 'events-invoke',
        action: 'lambda:InvokeFunction',
        principal: 'events.amazonaws.com',
        sourceArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/orders-nightly`,
      },
    });
    add(s + 6000, cfn, 'ec2', 'AuthorizeSecurityGroupIngress', {
      ...viaCfn,
      requestParameters: {
        groupId: 'sg-0123456789abcdef0',
        ipPermissions: {
          items: [{ ipProtocol: 'tcp', fromPort: 443, toPort: 443, ipRanges: { items: [{ cidrIp: '10.0.0.0/16' }] } }],
        },
      },
    });
    add(s + 7000, cfn, 's3', 'PutBucketPolicy', {
      ...viaCfn,
      requestParameters: {
        bucketName: 'orders-assets',
        bucketPolicy: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
              Action: 's3:GetObject',
              Resource: 'arn:aws:s3:::orders-assets/*',
            },
            {
              Effect: 'Allow',
              Principal: { Service: 'cloudfront.amazonaws.com' },
              Action: 's3:GetObject',
              Resource: 'arn:aws:s3:::orders-assets/*',
            },
          ],
        },
      },
    });
    add(s + 8000, cfn, 's3', 'PutBucketLifecycle', {
      ...viaCfn,
      requestParameters: {
        bucketName: 'orders-access-logs',
        LifecycleConfiguration: { Rule: [{ ID: 'expire', Status: 'Enabled', Filter: {}, Expiration: { Days: 30 } }] },
      },
    });
    for (let k = 0; k < 10; k++)
      add(s + 10_000 + k * 15_000, ci, 'cloudformation', 'DescribeStackEvents', {
        requestParameters: { stackName: 'orders-prod' },
      });
  }

  // AWS Config: hourly describes across services.
  const config = role('AWSServiceRoleForConfig', 'AWSConfig-Describe');
  const configCalls: [string, string][] = [
    ['ec2', 'DescribeInstances'],
    ['ec2', 'DescribeSecurityGroups'],
    ['ec2', 'DescribeVolumes'],
    ['ec2', 'DescribeSnapshots'],
    ['iam', 'GetRole'],
    ['iam', 'ListRolePolicies'],
    ['iam', 'ListUsers'],
    ['iam', 'GetAccountAuthorizationDetails'],
    ['s3', 'GetBucketPolicy'],
    ['s3', 'GetBucketAcl'],
    ['s3', 'ListBuckets'],
    ['lambda', 'GetFunction'],
    ['cloudtrail', 'DescribeTrails'],
    ['cloudtrail', 'GetTrailStatus'],
    ['kms', 'DescribeKey'],
    ['secretsmanager', 'DescribeSecret'],
    ['guardduty', 'ListDetectors'],
    ['rds', 'DescribeDBInstances'],
  ];
  for (let t = DAY; t < DAY + 1440 * MINUTE; t += 60 * MINUTE) {
    for (const [k, [source, name]] of configCalls.entries()) {
      add(t + k * 1500, config, source, name, {
        sourceIPAddress: 'config.amazonaws.com',
        userAgent: 'config.amazonaws.com',
      });
    }
  }

  // Auto Scaling scales out at 08:00.
  for (let k = 0; k < 2; k++) {
    add(
      DAY + 480 * MINUTE + k * 1000,
      role('AWSServiceRoleForAutoScaling', 'AutoScaling', { invokedBy: 'autoscaling.amazonaws.com' }),
      'ec2',
      'RunInstances',
      {
        sourceIPAddress: 'autoscaling.amazonaws.com',
        userAgent: 'autoscaling.amazonaws.com',
        readOnly: false,
        requestParameters: {
          instanceType: 'm5.large',
          minCount: 1,
          maxCount: 1,
          launchTemplate: { launchTemplateId: 'lt-0abc' },
        },
      },
    );
  }

  // Terraform plans from a GitHub-hosted runner, 4 a day.
  const tf = role('TerraformPlan', 'GitHubActions');
  for (const hour of [8, 12, 13, 16]) {
    const t = DAY + hour * 60 * MINUTE + jitter(30 * MINUTE);
    const plan: [string, string, Record<string, unknown> | null][] = [
      ['sts', 'GetCallerIdentity', null],
      ['ec2', 'DescribeVpcs', null],
      ['ec2', 'DescribeSubnets', null],
      ['ec2', 'DescribeSecurityGroups', null],
      ['ec2', 'DescribeInstances', null],
      ...instances
        .slice(0, 3)
        .map((instance): [string, string, Record<string, unknown>] => [
          'ec2',
          'DescribeInstanceAttribute',
          { instanceId: instance, attribute: 'userData' },
        ]),
      ['iam', 'GetRole', { roleName: 'orders-api-role' }],
      ['iam', 'ListRolePolicies', { roleName: 'orders-api-role' }],
      ['iam', 'ListAttachedRolePolicies', { roleName: 'orders-api-role' }],
      ['iam', 'GetPolicy', null],
      ['iam', 'GetPolicyVersion', null],
      ['s3', 'GetBucketPolicy', { bucketName: 'orders-assets' }],
      ['s3', 'GetBucketAcl', { bucketName: 'orders-assets' }],
      ['s3', 'GetBucketLifecycleConfiguration', { bucketName: 'orders-access-logs' }],
      ['kms', 'DescribeKey', null],
      ['kms', 'GetKeyPolicy', null],
      ['lambda', 'GetFunction', { functionName: 'orders-api' }],
      ['secretsmanager', 'DescribeSecret', { secretId: 'prod/orders/db' }],
      ['secretsmanager', 'GetResourcePolicy', { secretId: 'prod/orders/db' }],
      ['ssm', 'GetParameter', { name: '/orders/a', withDecryption: true }],
      ['ssm', 'GetParameter', { name: '/orders/b', withDecryption: true }],
      ['cloudtrail', 'DescribeTrails', null],
    ];
    for (const [k, [source, name, params]] of plan.entries()) {
      add(t + k * 400, tf, source, name, {
        userAgent: TERRAFORM,
        sourceIPAddress: '203.0.113.40',
        requestParameters: params,
      });
    }
  }

  // People: one through IAM Identity Center, one IAM user with MFA; console pages.
  const sso = role('AWSReservedSSO_AdministratorAccess_0123456789abcdef', 'alice@example.com');
  const bob: UserIdentity = {
    type: 'IAMUser',
    principalId: 'AIDAEXAMPLEBOB000001',
    arn: `arn:aws:iam::${ACCOUNT}:user/bob`,
    accountId: ACCOUNT,
    userName: 'bob',
  };
  const signIn = (time: number, identity: UserIdentity, mfa: 'Yes' | 'No') =>
    add(time, identity, 'signin', 'ConsoleLogin', {
      eventType: 'AwsConsoleSignIn',
      readOnly: false,
      sourceIPAddress: '203.0.113.7',
      userAgent: BROWSER,
      responseElements: { ConsoleLogin: 'Success' },
      additionalEventData: { MFAUsed: mfa, MobileVersion: 'No' },
    });
  signIn(DAY + 9 * 60 * MINUTE, sso, 'No');
  signIn(DAY + 13 * 60 * MINUTE, bob, 'Yes');
  const pages: [string, string, Record<string, unknown> | null][] = [
    ['ec2', 'DescribeInstances', null],
    ['ec2', 'DescribeSecurityGroups', null],
    ['ec2', 'DescribeVolumes', null],
    ['s3', 'ListBuckets', null],
    ['s3', 'GetBucketPolicy', { bucketName: 'orders-assets' }],
    ['iam', 'ListRoles', null],
    ['iam', 'GetRole', { roleName: 'orders-api-role' }],
    ['iam', 'ListUsers', null],
    ['monitoring', 'DescribeAlarms', null],
    ['logs', 'DescribeLogGroups', null],
    ['lambda', 'ListFunctions20150331', null],
    ['secretsmanager', 'ListSecrets', null],
    ['secretsmanager', 'GetSecretValue', { secretId: 'prod/orders/stripe' }],
    ['ssm', 'DescribeParameters', null],
    ['ssm', 'GetParameter', { name: '/orders/a', withDecryption: true }],
    ['cloudtrail', 'LookupEvents', null],
  ];
  for (const [identity, start] of [
    [sso, 9],
    [bob, 13],
  ] as const) {
    for (let k = 0; k < 60; k++) {
      const [source, name, params] = pick(pages);
      add(DAY + start * 60 * MINUTE + MINUTE + k * 40_000, identity, source, name, {
        sourceIPAddress: '203.0.113.7',
        userAgent: 'AWS Internal',
        sessionCredentialFromConsole: 'true',
        requestParameters: params,
      });
    }
  }

  return records.sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)));
}
