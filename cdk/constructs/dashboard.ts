import { Duration, Stack } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  SingleValueWidget,
  TextWidget,
  type IAlarm,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ANOMALIES_METRIC } from '../../functions/core/ports.ts';

export interface AuditDashboardProps {
  namespace: string;
  stateMachine: StateMachine;
  functions: { plan: IFunction; analyze: IFunction; correlate: IFunction; publish: IFunction };
  /** Shown as a status row: the workshop alarm first. */
  alarms: IAlarm[];
  findingsTableName: string;
}

/** One page: anomalies per detector, what the runs read, what failed, and how long runs take. */
export class AuditDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: AuditDashboardProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const period = Duration.minutes(15);
    const metric = (metricName: string, label: string) =>
      new Metric({ namespace: props.namespace, metricName, statistic: 'Sum', period, label });

    // SEARCH finds every detector that has published (built-in and Sigma rules alike), with no
    // list to keep in step with the registry.
    const perDetector = new MathExpression({
      expression: `SEARCH('{${props.namespace},Detector} MetricName="${ANOMALIES_METRIC}"', 'Sum', ${period.toSeconds()})`,
      label: '',
      period,
    });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      // Dashboard names are unique per account, not per region.
      dashboardName: `${stack.stackName}-${stack.region}`,
      defaultInterval: Duration.days(7),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `## trail-auditor\nFindings: DynamoDB table \`${props.findingsTableName}\` (\`npx trail-auditor findings --table <name>\`). Metrics: namespace \`${props.namespace}\`.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: props.alarms, width: 24, height: 3 }));
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'New findings per detector', left: [perDetector], stacked: true, width: 16, height: 7 }),
      new SingleValueWidget({
        title: 'New findings (total)',
        metrics: [metric(ANOMALIES_METRIC, 'AnomaliesDetected')],
        setPeriodToTimeRange: true,
        width: 8,
        height: 7,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Log objects analysed',
        left: [metric('ObjectsAnalyzed', 'Objects analysed'), metric('ObjectsFailed', 'Objects failed')],
        right: [metric('RecordsAnalyzed', 'Records analysed')],
        width: 12,
        height: 6,
      }),
      new GraphWidget({
        title: 'Suppressed findings and missing work items',
        left: [metric('FindingsSuppressed', 'Findings suppressed'), metric('WorkItemsMissing', 'Work items missing')],
        width: 12,
        height: 6,
      }),
    );
    const sm = props.stateMachine;
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Runs',
        left: [
          sm.metricSucceeded({ statistic: 'Sum', period, label: 'Succeeded' }),
          sm.metricFailed({ statistic: 'Sum', period, label: 'Failed' }),
          sm.metricTimedOut({ statistic: 'Sum', period, label: 'Timed out' }),
          sm.metricAborted({ statistic: 'Sum', period, label: 'Aborted' }),
        ],
        width: 8,
        height: 6,
      }),
      new GraphWidget({
        title: 'Run duration (ms)',
        left: [
          sm.metricTime({ statistic: 'Average', period, label: 'Average' }),
          sm.metricTime({ statistic: 'Maximum', period, label: 'Maximum' }),
        ],
        width: 8,
        height: 6,
      }),
      new GraphWidget({
        title: 'Step errors and throttles',
        left: (['plan', 'analyze', 'correlate', 'publish'] as const).flatMap((step) => [
          props.functions[step].metricErrors({ statistic: 'Sum', period, label: `${step} errors` }),
          props.functions[step].metricThrottles({ statistic: 'Sum', period, label: `${step} throttles` }),
        ]),
        width: 8,
        height: 6,
      }),
    );
  }
}
