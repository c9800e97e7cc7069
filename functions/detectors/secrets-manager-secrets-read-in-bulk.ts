import { burstDetector, stringsOf, type BurstOptions } from './burst.ts';
import { stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** Defaults: 10 distinct secrets by one principal within 10 minutes. */
export const SECRETS_BURST_DEFAULTS: BurstOptions = { threshold: 10, windowMinutes: 10 };
// A filtered BatchGetSecretValue returns up to 20 secrets and CloudTrail does not say which: count it as 10.
const FILTERED_BATCH_WEIGHT = 10;

/** Secrets Manager secrets read in bulk (GetSecretValue, BatchGetSecretValue) by one principal. */
export function createSecretsManagerSecretsReadInBulk(options: Partial<BurstOptions> = {}) {
  const settings = { ...SECRETS_BURST_DEFAULTS, ...options };
  return burstDetector(
    {
      meta: {
        id: 'secrets-manager-secrets-read-in-bulk',
        title: 'Secrets Manager secrets read in bulk',
        description: `One principal read the values of ${settings.threshold} or more distinct Secrets Manager secrets within ${settings.windowMinutes} minutes (GetSecretValue, or BatchGetSecretValue by list; a BatchGetSecretValue by filter counts as ${FILTERED_BATCH_WEIGHT}, since it may return up to 20 secrets and CloudTrail does not say which). One read is how applications use secrets; a burst is how an intruder dumps them.`,
        severity: 'high',
        mitre: { id: 'T1555.006', name: 'Credentials from Password Stores: Cloud Secrets Management Stores' },
        references: [
          'https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html',
          'https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_BatchGetSecretValue.html',
          techniqueUrl('T1555.006'),
        ],
        falsePositives: [
          'A deployment or migration tool that reads every secret of an application at once.',
          'Secret rotation or backup jobs (their principal is stable: raise the threshold or suppress it).',
        ],
        runbook:
          "Identify the principal and where it called from (sourceIPAddress, userAgent). If the burst is not an expected job: rotate every secret it read (the reason lists the first; query CloudTrail for GetSecretValue by this principal in the window), revoke the principal's sessions or keys, and look for use of the secrets' credentials since.",
        failedCalls: FAILED_CALLS.lowerSeverity,
        weaknesses: [
          `A slow read, under the threshold within every ${settings.windowMinutes} minutes, is not flagged.`,
          'Each principal ARN counts on its own: many role sessions each reading a few secrets are not added up.',
        ],
        stratus: [
          'aws.credential-access.secretsmanager-retrieve-secrets',
          'aws.credential-access.secretsmanager-batch-retrieve-secrets',
        ],
      },
      events: { 'secretsmanager.amazonaws.com': ['GetSecretValue', 'BatchGetSecretValue'] },
      noun: 'secrets',
      verb: 'read',
      items(params, record) {
        if (record.eventName === 'GetSecretValue') return stringsOf(stringAt(params, 'secretId'));
        const listed = stringsOf(params?.secretIdList);
        if (listed.length > 0) return listed;
        const id = typeof record.eventID === 'string' ? record.eventID : String(record.eventTime);
        return Array.from({ length: FILTERED_BATCH_WEIGHT }, (_, i) => `(batch by filter ${id} #${i + 1})`);
      },
    },
    settings,
  );
}

export const secretsManagerSecretsReadInBulk = createSecretsManagerSecretsReadInBulk();
