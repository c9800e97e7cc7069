import { principalOf } from '../core/cloudtrail.ts';
import { apiCallDetector, label, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** STS `GetFederationToken`: temporary credentials that outlive the deletion of the key that made them. */
export const stsFederationTokenCreated = apiCallDetector(
  {
    id: 'sts-federation-token-created',
    title: 'STS federation token created',
    description:
      'An STS GetFederationToken call by an IAM user or the root user. The session it returns lasts up to 36 hours and keeps working after the calling access key is deactivated or deleted, which makes it a favourite of intruders who expect to be found. Few modern setups use it (IAM Identity Center and roles replaced it).',
    severity: 'medium',
    mitre: { id: 'T1550.001', name: 'Use Alternate Authentication Material: Application Access Token' },
    references: [
      'https://docs.aws.amazon.com/STS/latest/APIReference/API_GetFederationToken.html',
      techniqueUrl('T1550.001'),
    ],
    falsePositives: ['Legacy federation proxies or brokers that still mint sessions with GetFederationToken.'],
    runbook:
      'If the caller does not run a known federation broker: deactivate its keys, and because the federated session survives that, attach a deny-all inline policy to the user (or use the AWSRevokeOlderSessions pattern), then review what the federated user did (its ARN is federated-user/<name>).',
    failedCalls: FAILED_CALLS.lowerSeverity,
    stratus: ['aws.persistence.sts-federation-token'],
  },
  { 'sts.amazonaws.com': ['GetFederationToken'] },
  (params, record) =>
    `GetFederationToken requested by ${principalOf(record)} for ${label('federated user', stringAt(params, 'name'))}.`,
);
