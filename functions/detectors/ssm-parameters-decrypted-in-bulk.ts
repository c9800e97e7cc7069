import { burstDetector, stringsOf, type BurstOptions } from './burst.ts';
import { stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** Defaults: 20 distinct decrypted parameters by one principal within 10 minutes. */
export const PARAMETERS_BURST_DEFAULTS: BurstOptions = { threshold: 20, windowMinutes: 10 };

/** SSM Parameter Store SecureString values decrypted in bulk by one principal. */
export function createSsmParametersDecryptedInBulk(options: Partial<BurstOptions> = {}) {
  const settings = { ...PARAMETERS_BURST_DEFAULTS, ...options };
  return burstDetector(
    {
      meta: {
        id: 'ssm-parameters-decrypted-in-bulk',
        title: 'SSM parameters decrypted in bulk',
        description: `One principal read ${settings.threshold} or more distinct SSM parameters with decryption (GetParameter, GetParameters or GetParametersByPath with withDecryption true) within ${settings.windowMinutes} minutes. Reads without decryption are not counted: SecureStrings are where parameters keep credentials.`,
        severity: 'high',
        mitre: { id: 'T1555.006', name: 'Credentials from Password Stores: Cloud Secrets Management Stores' },
        references: [
          'https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html',
          'https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameters.html',
          techniqueUrl('T1555.006'),
        ],
        falsePositives: [
          'Applications that load their whole configuration tree with decryption at start-up (each instance session counts on its own).',
          'Configuration management runs that render many secrets at once.',
        ],
        runbook:
          "Identify the principal and where it called from. If the reads are not an expected start-up or deployment: rotate the parameters it decrypted (CloudTrail lists them per call), revoke the principal's sessions or keys, and check for DescribeParameters calls just before (enumeration).",
        failedCalls: FAILED_CALLS.lowerSeverity,
        weaknesses: [
          'GetParametersByPath counts as one item per path, whatever it returned: a recursive read of a large tree is under-counted.',
        ],
        stratus: ['aws.credential-access.ssm-retrieve-securestring-parameters'],
      },
      events: { 'ssm.amazonaws.com': ['GetParameter', 'GetParameters', 'GetParametersByPath'] },
      noun: 'parameters',
      verb: 'decrypted',
      items(params, record) {
        if (params?.withDecryption !== true && params?.withDecryption !== 'true') return [];
        if (record.eventName === 'GetParameters') return stringsOf(params.names);
        if (record.eventName === 'GetParameter') return stringsOf(stringAt(params, 'name'));
        const path = stringAt(params, 'path');
        return path ? [`${path} (by path)`] : [];
      },
    },
    settings,
  );
}

export const ssmParametersDecryptedInBulk = createSsmParametersDecryptedInBulk();
