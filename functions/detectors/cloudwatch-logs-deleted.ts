import { apiCallDetector, label, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** CloudWatch Logs `DeleteLogGroup` / `DeleteLogStream`: log data destroyed. */
export const cloudwatchLogsDeleted = apiCallDetector(
  {
    id: 'cloudwatch-logs-deleted',
    title: 'CloudWatch Logs deleted',
    description:
      "A successful CloudWatch Logs DeleteLogGroup or DeleteLogStream: the log events in it are gone for good. Narrower than the workshop's deleting-logs rule, which matches every Delete* call including failed ones.",
    severity: 'medium',
    mitre: { id: 'T1562.008', name: 'Impair Defenses: Disable or Modify Cloud Logs' },
    references: [
      'https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DeleteLogGroup.html',
      'https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DeleteLogStream.html',
      techniqueUrl('T1562.008'),
    ],
    falsePositives: [
      "Stack deletes by CloudFormation, CDK or Terraform that remove a function's or service's log group.",
      'Clean-up jobs that prune old log streams.',
    ],
    runbook:
      "Identify what wrote to the log group (its name usually says: /aws/lambda/..., a VPC flow log, CloudTrail delivery). If the delete was not part of a stack delete or change, check whether the data exists elsewhere (S3 export, subscription destination) and review the principal's other calls around it.",
    failedCalls: FAILED_CALLS.ignored,
  },
  { 'logs.amazonaws.com': ['DeleteLogGroup', 'DeleteLogStream'] },
  (params, record) => {
    const group = label('log group', stringAt(params, 'logGroupName'));
    return record.eventName === 'DeleteLogStream'
      ? `DeleteLogStream deleted ${label('stream', stringAt(params, 'logStreamName'))} of ${group}.`
      : `DeleteLogGroup deleted ${group}.`;
  },
);
