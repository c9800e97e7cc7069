import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { ANY_EVENT_NAME, FAILED_CALLS, MATCH, type StatelessDetector } from './types.ts';

const LOG_SOURCES = new Set(['logs.amazonaws.com', 'cloudtrail.amazonaws.com']);

/**
 * The workshop's Phase 1 detector, kept exactly: any `Delete*` call to CloudWatch Logs or
 * CloudTrail, plus the bonus round's CloudTrail `StopLogging`.
 */
export const deletingLogs: StatelessDetector = {
  kind: 'stateless',
  meta: {
    id: 'deleting-logs',
    title: 'Deleting logs',
    description:
      'A Delete* call to CloudWatch Logs or CloudTrail, or CloudTrail StopLogging: someone removing the record of what they did. The workshop (SID 341) rule, unchanged.',
    severity: 'high',
    mitre: { id: 'T1562.008', name: 'Impair Defenses: Disable or Modify Cloud Logs' },
    references: [
      'https://github.com/aws-samples/aws-cloudtrail-analyzer-workshop',
      'https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StopLogging.html',
    ],
    falsePositives: [
      'Routine clean-up of log groups by infrastructure-as-code (CloudFormation, CDK, Terraform stack deletes).',
      'Deleting a retention policy, metric filter or subscription filter also starts with Delete and matches.',
    ],
    runbook:
      "Confirm who made the call (principal, source IP, user agent) and whether a change ticket covers it. If not: re-enable logging (StartLogging), restore the trail or log group from IaC, rotate the principal's credentials and review its other calls in the same window.",
    failedCalls: FAILED_CALLS.matched,
    stratus: ['aws.defense-evasion.cloudtrail-delete', 'aws.defense-evasion.cloudtrail-stop'],
    weaknesses: [
      'Failed calls match too (no errorCode check), as in the workshop: an AccessDenied attempt is reported like a success.',
      'Matches every Delete* call of both services, including harmless ones such as DeleteMetricFilter; the catalogue detectors are narrower.',
    ],
  },
  // Delete* is a prefix, not a list: every name of the two sources.
  events: { 'logs.amazonaws.com': [ANY_EVENT_NAME], 'cloudtrail.amazonaws.com': [ANY_EVENT_NAME] },
  detect(record: CloudTrailRecord) {
    const source = record.eventSource;
    const name = record.eventName;
    if (typeof source !== 'string' || typeof name !== 'string') return undefined;
    if (LOG_SOURCES.has(source) && name.startsWith('Delete')) return MATCH;
    if (source === 'cloudtrail.amazonaws.com' && name === 'StopLogging') return MATCH;
    return undefined;
  },
};
