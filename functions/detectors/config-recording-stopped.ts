import { apiCallDetector, label, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** AWS Config recorder stopped or deleted, or its delivery channel deleted. */
export const configRecordingStopped = apiCallDetector(
  {
    id: 'config-recording-stopped',
    title: 'AWS Config recording stopped',
    description:
      'An AWS Config StopConfigurationRecorder, DeleteConfigurationRecorder or DeleteDeliveryChannel call: resource configuration changes stop being recorded or delivered, and Config rules stop evaluating them.',
    severity: 'high',
    mitre: { id: 'T1562.001', name: 'Impair Defenses: Disable or Modify Tools' },
    references: [
      'https://docs.aws.amazon.com/config/latest/APIReference/API_StopConfigurationRecorder.html',
      'https://docs.aws.amazon.com/config/latest/APIReference/API_DeleteConfigurationRecorder.html',
      'https://docs.aws.amazon.com/config/latest/APIReference/API_DeleteDeliveryChannel.html',
      techniqueUrl('T1562.001'),
    ],
    falsePositives: [
      'Re-creating the recorder or channel from infrastructure-as-code, or Control Tower / landing-zone updates.',
    ],
    runbook:
      "Restart recording (StartConfigurationRecorder) or recreate the recorder and delivery channel from infrastructure-as-code. If not planned, review the principal's calls during the gap, especially changes Config would have recorded (security groups, IAM, S3 policies).",
    failedCalls: FAILED_CALLS.lowerSeverity,
  },
  { 'config.amazonaws.com': ['StopConfigurationRecorder', 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel'] },
  (params, record) =>
    record.eventName === 'DeleteDeliveryChannel'
      ? `DeleteDeliveryChannel requested for ${label('delivery channel', stringAt(params, 'deliveryChannelName'))}.`
      : `${String(record.eventName)} requested for ${label('configuration recorder', stringAt(params, 'configurationRecorderName'))}.`,
);
