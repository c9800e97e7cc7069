import { apiCallDetector, label, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** KMS `ScheduleKeyDeletion` / `DisableKey`: data encrypted under the key becomes unreadable. */
export const kmsKeyDeletionOrDisable = apiCallDetector(
  {
    id: 'kms-key-deletion-or-disable',
    title: 'KMS key scheduled for deletion or disabled',
    description:
      'A KMS ScheduleKeyDeletion or DisableKey call: everything encrypted under the key (EBS volumes, S3 objects, RDS, secrets) can no longer be decrypted, and after the waiting period deletion is irreversible. Used for destruction and for extortion.',
    severity: 'high',
    mitre: { id: 'T1485', name: 'Data Destruction' },
    references: [
      'https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html',
      'https://docs.aws.amazon.com/kms/latest/APIReference/API_DisableKey.html',
      techniqueUrl('T1485'),
    ],
    falsePositives: [
      'Retiring keys of decommissioned workloads, or infrastructure-as-code stack deletes (they schedule deletion).',
    ],
    runbook:
      "Within the waiting period, CancelKeyDeletion and EnableKey stop the damage: do that first if the key is still in use. Then check whether a change covers the call and review the principal's other calls, especially key policy changes (PutKeyPolicy).",
    failedCalls: FAILED_CALLS.lowerSeverity,
  },
  { 'kms.amazonaws.com': ['ScheduleKeyDeletion', 'DisableKey'] },
  (params, record) => {
    const key = label('key', stringAt(params, 'keyId'));
    if (record.eventName === 'DisableKey') return `DisableKey requested for ${key}.`;
    const days = params?.pendingWindowInDays;
    return `ScheduleKeyDeletion requested for ${key}${typeof days === 'number' || typeof days === 'string' ? ` with a ${days}-day waiting period` : ''}.`;
  },
);
