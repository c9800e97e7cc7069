import { CfnOutput, CfnParameter, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { ScheduledInput } from '../functions/core/run-input.ts';
import { BUCKET_NAME_PATTERN, type StackConfig } from './config.ts';
import { AuditAlarms } from './constructs/alarms.ts';
import { AuditFunctions } from './constructs/audit-functions.ts';
import { AuditStateMachine } from './constructs/audit-state-machine.ts';
import { AuditDashboard } from './constructs/dashboard.ts';
import { DemoActivity } from './constructs/demo-activity.ts';
import { FindingsStore } from './constructs/findings-store.ts';
import { TryoutTrail } from './constructs/tryout-trail.ts';

export interface AuditorStackProps extends StackProps {
  config: StackConfig;
}

/** The CloudFormation parameter naming the trail bucket when no trailBucketName context is given. */
export const TRAIL_BUCKET_PARAMETER = 'TrailBucketName';

/** The scheduled input: a run over everything delivered since the last complete scheduled run. */
export const SCHEDULED_INPUT: ScheduledInput = { mode: 'scheduled' };

/**
 * trail-auditor in one stack: schedule -> state machine (Plan -> Distributed Map of Analyze ->
 * Publish) over a read-only trail bucket, findings in DynamoDB, metrics, alarms and a dashboard.
 */
export class AuditorStack extends Stack {
  readonly store: FindingsStore;
  readonly functions: AuditFunctions;
  readonly stateMachine: AuditStateMachine;
  readonly alarms: AuditAlarms;

  constructor(scope: Construct, id: string, props: AuditorStackProps) {
    super(scope, id, {
      description:
        'trail-auditor: scheduled CloudTrail anomaly detection (Step Functions, Lambda, DynamoDB, CloudWatch)',
      ...props,
    });
    const { config } = props;
    const logRetention = config.logRetentionDays as RetentionDays;

    const key = config.customerManagedKey
      ? new Key(this, 'Key', {
          description: 'trail-auditor tables and alarm topic',
          enableKeyRotation: true,
          // The findings outlive the stack by default: so must the key that encrypts them.
          removalPolicy: config.findingsRetention === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        })
      : undefined;

    // The trail: read-only access to an existing bucket, or a try-out trail made here.
    // An existing bucket is imported by name: from context (trailBucketName), or else from the
    // TrailBucketName parameter (`cdk deploy --parameters TrailBucketName=<bucket>`).
    let trailBucketName: string;
    let trailBucketArn: string;
    if (config.trail.kind === 'existing') {
      const name =
        config.trail.bucketName ??
        new CfnParameter(this, TRAIL_BUCKET_PARAMETER, {
          type: 'String',
          allowedPattern: BUCKET_NAME_PATTERN,
          constraintDescription: 'must be an S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens)',
          description:
            'Name of the existing CloudTrail bucket to audit (read-only: the stack lists <trailPrefix>AWSLogs/ and reads objects there). Alternatively synthesize with -c trailBucketName=<bucket>.',
        }).valueAsString;
      const bucket = Bucket.fromBucketName(this, 'TrailBucket', name);
      trailBucketName = bucket.bucketName;
      trailBucketArn = bucket.bucketArn;
    } else {
      const tryout = new TryoutTrail(this, 'TryoutTrail', { trailPrefix: config.audit.trailPrefix });
      trailBucketName = tryout.bucket.bucketName;
      trailBucketArn = tryout.bucket.bucketArn;
    }

    this.store = new FindingsStore(this, 'Store', {
      findingsRetention: config.findingsRetention,
      ...(config.findingsTtlDays !== undefined ? { findingsTtlDays: config.findingsTtlDays } : {}),
      ...(key ? { key } : {}),
    });

    this.functions = new AuditFunctions(this, 'Steps', {
      trailBucketName,
      trailBucketArn,
      ...(config.trail.kind === 'existing' && config.trail.kmsKeyArn ? { trailKmsKeyArn: config.trail.kmsKeyArn } : {}),
      findingsTable: this.store.findings,
      stateTable: this.store.state,
      ...(key ? { tableKey: key } : {}),
      audit: config.audit,
      ...(config.findingsTtlDays !== undefined ? { findingsTtlDays: config.findingsTtlDays } : {}),
      logRetention,
      analyzeMemoryMb: config.analyzeMemoryMb,
      ...(config.sigmaRulesDir ? { sigmaRulesDir: config.sigmaRulesDir } : {}),
      ...(config.suppressionsFile ? { suppressionsFile: config.suppressionsFile } : {}),
      ...(config.awsIpRangesFile ? { awsIpRangesFile: config.awsIpRangesFile } : {}),
      fetchAwsIpRanges: config.fetchAwsIpRanges,
    });

    this.stateMachine = new AuditStateMachine(this, 'Audit', {
      stateMachineName: `${this.stackName}-audit`,
      functions: {
        PlanFunctionArn: this.functions.plan,
        AnalyzeFunctionArn: this.functions.analyze,
        CorrelateFunctionArn: this.functions.correlate,
        PublishFunctionArn: this.functions.publish,
      },
      logRetention,
    });
    const stateMachine = this.stateMachine.stateMachine;

    // Overlapping runs are harmless by design: each run lists up to its own window end, the
    // checkpoint only moves forward (conditional update), and a finding is stored once per
    // (detector, eventID), so a slow run overtaken by the next one costs time, not correctness.
    new Rule(this, 'Schedule', {
      description: `Starts a scheduled trail-auditor run every ${config.scheduleMinutes} minutes`,
      schedule: Schedule.rate(Duration.minutes(config.scheduleMinutes)),
      targets: [new SfnStateMachine(stateMachine, { input: RuleTargetInput.fromObject(SCHEDULED_INPUT) })],
    });

    this.alarms = new AuditAlarms(this, 'Alarms', {
      namespace: config.audit.metricsNamespace,
      detectorIds: config.detectorAlarms,
      stateMachine,
      ...(config.notificationEmail ? { notificationEmail: config.notificationEmail } : {}),
      ...(key ? { key } : {}),
    });

    new AuditDashboard(this, 'Dashboard', {
      namespace: config.audit.metricsNamespace,
      stateMachine,
      functions: this.functions,
      alarms: [this.alarms.anomalies, this.alarms.runFailed, this.alarms.runTimedOut, ...this.alarms.byDetector],
      findingsTableName: this.store.findings.tableName,
    });

    if (config.demoActivity) new DemoActivity(this, 'DemoActivity', { logRetention });

    new CfnOutput(this, 'StateMachineArn', {
      value: stateMachine.stateMachineArn,
      description: 'npx trail-auditor backfill --state-machine <this> --from ... --to ...',
    });
    new CfnOutput(this, 'FindingsTableName', {
      value: this.store.findings.tableName,
      description: 'npx trail-auditor findings --table <this>',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn });
    // With the parameter, its value is the bucket name already (and the ids would collide).
    if (config.trail.kind === 'create' || config.trail.bucketName)
      new CfnOutput(this, 'TrailBucketName', { value: trailBucketName });
  }
}
