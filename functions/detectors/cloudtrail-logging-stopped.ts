import { apiCallDetector, label, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** CloudTrail `StopLogging`: a trail stops recording API activity (it keeps its configuration). */
export const cloudtrailLoggingStopped = apiCallDetector(
  {
    id: 'cloudtrail-logging-stopped',
    title: 'CloudTrail logging stopped',
    description:
      'A CloudTrail StopLogging call: the trail stops delivering events, so what follows is not recorded. A classic first step of an intruder covering their tracks.',
    severity: 'high',
    mitre: { id: 'T1562.008', name: 'Impair Defenses: Disable or Modify Cloud Logs' },
    references: [
      'https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StopLogging.html',
      techniqueUrl('T1562.008'),
    ],
    falsePositives: ['Planned maintenance or trail consolidation that stops a redundant trail.'],
    runbook:
      'Run StartLogging on the trail at once. Then find out who stopped it (principal, source IP, user agent) and whether a change covers it; if not, treat the principal as compromised: rotate its credentials and review every call it made around the gap, using the other trails or Event history.',
    failedCalls: FAILED_CALLS.lowerSeverity,
    stratus: ['aws.defense-evasion.cloudtrail-stop'],
  },
  { 'cloudtrail.amazonaws.com': ['StopLogging'] },
  (params) => `StopLogging requested for ${label('trail', stringAt(params, 'name'))}.`,
);
