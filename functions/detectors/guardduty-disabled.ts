import { apiCallDetector, isFalse, label, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** GuardDuty detector deleted, suspended, or the account taken out of its administrator's view. */
export const guarddutyDisabled = apiCallDetector(
  {
    id: 'guardduty-disabled',
    title: 'GuardDuty disabled',
    description:
      'A GuardDuty DeleteDetector, UpdateDetector with enable false (suspend), or DisassociateFromAdministratorAccount / DisassociateFromMasterAccount call: threat detection in the region stops, or its findings no longer reach the security account.',
    severity: 'high',
    mitre: { id: 'T1562.001', name: 'Impair Defenses: Disable or Modify Tools' },
    references: [
      'https://docs.aws.amazon.com/guardduty/latest/APIReference/API_DeleteDetector.html',
      'https://docs.aws.amazon.com/guardduty/latest/APIReference/API_UpdateDetector.html',
      'https://docs.aws.amazon.com/guardduty/latest/APIReference/API_DisassociateFromAdministratorAccount.html',
      techniqueUrl('T1562.001'),
    ],
    falsePositives: ['Moving GuardDuty to a new delegated administrator, or closing down an unused region.'],
    runbook:
      'Re-enable the detector (UpdateDetector enable=true, or CreateDetector) and re-associate the account with the administrator. If not planned, treat the principal as compromised and review its calls in every region during the gap.',
    failedCalls: FAILED_CALLS.lowerSeverity,
  },
  {
    'guardduty.amazonaws.com': [
      'DeleteDetector',
      'UpdateDetector',
      'DisassociateFromAdministratorAccount',
      'DisassociateFromMasterAccount',
    ],
  },
  (params, record) => {
    const detector = label('detector', stringAt(params, 'detectorId'));
    switch (record.eventName) {
      case 'DeleteDetector':
        return `DeleteDetector requested for GuardDuty ${detector} in ${record.awsRegion ?? 'an unknown region'}.`;
      case 'UpdateDetector':
        return isFalse(params?.enable)
          ? `UpdateDetector requested suspending GuardDuty ${detector} (enable false).`
          : undefined;
      default:
        return `${String(record.eventName)} requested removing GuardDuty ${detector} from its administrator account.`;
    }
  },
);
