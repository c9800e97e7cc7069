import { principalOf } from '../core/cloudtrail.ts';
import { apiCallDetector, label, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS, type Severity } from './types.ts';

const SEVERITY_BY_CALL: Record<string, Severity> = {
  CreateTrustAnchor: 'high',
  UpdateTrustAnchor: 'high',
  EnableTrustAnchor: 'medium',
  CreateProfile: 'medium',
};

/** IAM Roles Anywhere trust anchors (and profiles): a certificate authority the account now trusts to hand out roles. */
export const rolesanywhereTrustAnchorCreated = apiCallDetector(
  {
    id: 'rolesanywhere-trust-anchor-created',
    title: 'IAM Roles Anywhere trust anchor created',
    description:
      'IAM Roles Anywhere CreateTrustAnchor or UpdateTrustAnchor (high): whoever controls the certificate authority can now obtain sessions of every role that trusts rolesanywhere.amazonaws.com, from anywhere. EnableTrustAnchor and CreateProfile (which roles a trust anchor hands out) are medium.',
    severity: 'high',
    mitre: { id: 'T1098.001', name: 'Account Manipulation: Additional Cloud Credentials' },
    references: [
      'https://docs.aws.amazon.com/rolesanywhere/latest/userguide/trust-model.html',
      'https://docs.aws.amazon.com/rolesanywhere/latest/APIReference/API_CreateTrustAnchor.html',
      techniqueUrl('T1098.001'),
    ],
    falsePositives: ['Platform teams onboarding on-premises workloads to IAM Roles Anywhere.'],
    runbook:
      "Check the trust anchor's certificate (source) against your PKI. If unknown: disable and delete the trust anchor and any profile created with it, then look for CreateSession calls from rolesanywhere since, and for the roles those sessions used.",
    failedCalls: FAILED_CALLS.lowerSeverity,
    stratus: ['aws.persistence.rolesanywhere-create-trust-anchor'],
  },
  { 'rolesanywhere.amazonaws.com': Object.keys(SEVERITY_BY_CALL) },
  (params, record) => {
    const call = String(record.eventName);
    const name = stringAt(params, 'name') ?? stringAt(params, 'trustAnchorId');
    return {
      reason: `${call} requested by ${principalOf(record)} (${label('name', name)}).`,
      severity: SEVERITY_BY_CALL[call],
    };
  },
);
