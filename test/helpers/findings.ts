import type { Finding } from '../../functions/core/findings.ts';

let counter = 0;

/** A stored finding as Analyze writes one; override any field. Ids are redacted (123456789012, 192.0.2.x). */
export function aFinding(overrides: Partial<Finding> = {}): Finding {
  counter++;
  const eventID = overrides.eventID ?? `f1d00000-0000-4000-8000-${String(counter).padStart(12, '0')}`;
  const detector = overrides.detector ?? 'deleting-logs';
  return {
    id: `${detector}#${eventID}`,
    detector,
    severity: 'high',
    title: 'Deleting logs',
    eventID,
    eventTime: '2017-11-28T19:05:10Z',
    eventSource: 'cloudtrail.amazonaws.com',
    eventName: 'StopLogging',
    awsRegion: 'us-east-1',
    account: '123456789012',
    principal: 'arn:aws:iam::123456789012:user/alice',
    sourceIPAddress: '192.0.2.10',
    userAgent: 'aws-cli/2.15.0',
    objectKey:
      'AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/28/123456789012_CloudTrail_us-east-1_20171128T1910Z_Q9w8E7r6T5y4U3i2.json.gz',
    runId: 'run-1',
    detectedAt: '2026-01-01T00:00:00.000Z',
    record: '{}',
    recordTruncated: false,
    status: 'open',
    ...overrides,
  };
}
