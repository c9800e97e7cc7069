import { apiCallDetector, label, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** CloudTrail `DeleteTrail`: the trail and its logging are gone (delivered logs stay in S3). */
export const cloudtrailTrailDeleted = apiCallDetector(
  {
    id: 'cloudtrail-trail-deleted',
    title: 'CloudTrail trail deleted',
    description:
      'A CloudTrail DeleteTrail call: the trail stops logging and its configuration is removed. Delivered log files stay in the bucket, but nothing new is recorded by that trail.',
    severity: 'high',
    mitre: { id: 'T1562.008', name: 'Impair Defenses: Disable or Modify Cloud Logs' },
    references: [
      'https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DeleteTrail.html',
      techniqueUrl('T1562.008'),
    ],
    falsePositives: [
      'Infrastructure-as-code stack deletes or trail consolidation (e.g. moving to an organisation trail).',
    ],
    runbook:
      "Recreate the trail from infrastructure-as-code and start logging. Check whether a change covers the delete; if not, rotate the principal's credentials and review its calls in the window, using any other trail, the organisation trail or Event history (90 days of management events).",
    failedCalls: FAILED_CALLS.lowerSeverity,
    stratus: ['aws.defense-evasion.cloudtrail-delete'],
  },
  { 'cloudtrail.amazonaws.com': ['DeleteTrail'] },
  (params) => `DeleteTrail requested for ${label('trail', stringAt(params, 'name'))}.`,
);
