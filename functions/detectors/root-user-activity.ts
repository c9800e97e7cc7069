import { isFailedCall, type CloudTrailRecord } from '../core/cloudtrail.ts';
import { judge, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS, type DetectorMetadata, type StatelessDetector } from './types.ts';

const meta: DetectorMetadata = {
  id: 'root-user-activity',
  title: 'Root user activity',
  description:
    "Any call made by the account's root user itself: not made on its behalf by an AWS service (userIdentity.invokedBy) and not a service event. Root credentials bypass IAM policies and should be used only for the few tasks that need them.",
  severity: 'high',
  mitre: { id: 'T1078.004', name: 'Valid Accounts: Cloud Accounts' },
  references: [
    'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html',
    'https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-tasks.html',
    techniqueUrl('T1078.004'),
  ],
  falsePositives: [
    'The few tasks only root can do (closing the account, changing the support plan, some billing settings), done on purpose.',
    'A root console session produces one finding per call, read-only calls included.',
  ],
  runbook:
    'Ask the root credential owner whether they signed in. If not: reset the root password, replace its MFA device, delete any root access keys, and review every call of the session (same source IP and user agent). Consider centralised root access in AWS Organizations.',
  failedCalls: FAILED_CALLS.lowerSeverity,
};

/** Calls made by the root user (failed sign-ins and calls reported one step lower). */
export const rootUserActivity: StatelessDetector = {
  kind: 'stateless',
  meta,
  detect(record: CloudTrailRecord) {
    // Runs on every record: the identity type is checked first, with plain property reads.
    const identity = record.userIdentity;
    if (!identity || typeof identity !== 'object' || identity.type !== 'Root') return undefined;
    if (typeof identity.invokedBy === 'string' && identity.invokedBy !== '') return undefined;
    if (record.eventType === 'AwsServiceEvent') return undefined;
    const service = stringAt(record, 'eventSource')?.replace('.amazonaws.com', '') ?? 'unknown';
    const from = stringAt(record, 'sourceIPAddress') ?? 'an unknown address';
    // A failed console sign-in carries no errorCode, only ConsoleLogin: Failure.
    const failed = isFailedCall(record) || stringAt(record.responseElements, 'ConsoleLogin') === 'Failure';
    return judge(meta, record, {
      reason: `The root user called ${service}:${String(record.eventName)} from ${from}.`,
      failed,
    });
  },
};
