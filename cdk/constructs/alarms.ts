import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { detectorAlarm, WORKSHOP_ALARM, type AlarmRule } from '../../functions/core/alarms.ts';

export interface AuditAlarmsProps {
  namespace: string;
  /** Detector ids that get their own alarm (dimension `Detector`). */
  detectorIds: readonly string[];
  stateMachine: StateMachine;
  notificationEmail?: string;
  /** Encrypts the topic; without one the topic is unencrypted (see the acknowledgement). */
  key?: IKey;
}

const COMPARISON: Record<AlarmRule['comparison'], ComparisonOperator> = {
  GreaterThanOrEqualToThreshold: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
};
const MISSING: Record<AlarmRule['treatMissingData'], TreatMissingData> = {
  notBreaching: TreatMissingData.NOT_BREACHING,
};

/**
 * The workshop's alarm (WORKSHOP_ALARM, exactly), one per configured detector (detectorAlarm),
 * and alarms on failed or timed-out runs; every alarm notifies one SNS topic.
 */
export class AuditAlarms extends Construct {
  readonly topic: Topic;
  readonly anomalies: Alarm;
  readonly byDetector: Alarm[];
  readonly runFailed: Alarm;
  readonly runTimedOut: Alarm;

  constructor(scope: Construct, id: string, props: AuditAlarmsProps) {
    super(scope, id);
    const stackName = Stack.of(this).stackName;
    this.topic = new Topic(this, 'Topic', {
      displayName: 'trail-auditor alarms',
      enforceSSL: true,
      ...(props.key ? { masterKey: props.key } : {}),
    });
    if (props.key) {
      // CloudWatch publishes to an encrypted topic only if the key lets it.
      props.key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    }
    // Without customerManagedKey the topic is unencrypted: CloudWatch alarms cannot publish to a
    // topic encrypted with the AWS managed SNS key, and the messages hold only alarm names and states.
    if (props.notificationEmail) this.topic.addSubscription(new EmailSubscription(props.notificationEmail));
    const action = new SnsAction(this.topic);

    const fromRule = (alarmId: string, rule: AlarmRule, description: string): Alarm => {
      const alarm = new Alarm(this, alarmId, {
        alarmName: `${stackName}-${rule.name}`,
        alarmDescription: description,
        metric: new Metric({
          namespace: props.namespace,
          metricName: rule.metric,
          ...(rule.dimensions ? { dimensionsMap: rule.dimensions } : {}),
          statistic: rule.statistic,
          period: Duration.seconds(rule.periodSeconds),
        }),
        threshold: rule.threshold,
        evaluationPeriods: rule.evaluationPeriods,
        comparisonOperator: COMPARISON[rule.comparison],
        treatMissingData: MISSING[rule.treatMissingData],
      });
      alarm.addAlarmAction(action);
      return alarm;
    };

    this.anomalies = fromRule(
      'AnomaliesDetected',
      WORKSHOP_ALARM,
      'The workshop alarm: at least one new finding from any detector. Query the findings table for details.',
    );
    this.byDetector = props.detectorIds.map((detectorId) =>
      fromRule(
        `AnomaliesDetected-${detectorId}`,
        detectorAlarm(detectorId),
        `At least one new finding from detector ${detectorId}.`,
      ),
    );

    const runAlarm = (alarmId: string, metric: Metric, what: string): Alarm => {
      const alarm = new Alarm(this, alarmId, {
        alarmName: `${stackName}-${alarmId}`,
        alarmDescription: `An audit run ${what}: objects may be unanalysed. The scheduled checkpoint only moves after a complete run, so the next run retries them. See the execution in the Step Functions console.`,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      return alarm;
    };
    this.runFailed = runAlarm(
      'RunFailed',
      props.stateMachine.metricFailed({ statistic: 'Sum', period: Duration.minutes(5) }),
      'failed',
    );
    this.runTimedOut = runAlarm(
      'RunTimedOut',
      props.stateMachine.metricTimedOut({ statistic: 'Sum', period: Duration.minutes(5) }),
      'timed out',
    );
  }
}
