import { burstDetector, type BurstOptions } from './burst.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** Defaults: 3 distinct SES discovery calls by one principal within 10 minutes. */
export const SES_ENUMERATION_DEFAULTS: BurstOptions = { threshold: 3, windowMinutes: 10 };

// Read calls that tell an intruder whether the account can send mail and from which identities.
const SES_DISCOVERY = [
  'GetAccountSendingEnabled',
  'GetSendQuota',
  'GetSendStatistics',
  'ListIdentities',
  'GetIdentityVerificationAttributes',
  'ListEmailIdentities',
  'GetAccount',
  'ListVerifiedEmailAddresses',
  'GetIdentityDkimAttributes',
];

/** SES sending capability enumerated by one principal: the step before phishing or spam from the account. */
export function createSesEnumeration(options: Partial<BurstOptions> = {}) {
  const settings = { ...SES_ENUMERATION_DEFAULTS, ...options };
  return burstDetector(
    {
      meta: {
        id: 'ses-enumeration',
        title: 'SES enumeration',
        description: `One principal made ${settings.threshold} or more distinct SES discovery calls (${SES_DISCOVERY.join(', ')}) within ${settings.windowMinutes} minutes: checking whether the account can send mail, its quota and its verified identities. Attackers do this with stolen keys before using or reselling them for phishing.`,
        severity: 'medium',
        mitre: { id: 'T1526', name: 'Cloud Service Discovery' },
        references: [
          'https://docs.aws.amazon.com/ses/latest/APIReference/API_GetSendQuota.html',
          'https://securitylabs.datadoghq.com/articles/following-attackers-trail-in-aws-methodology-findings-in-the-wild/',
          techniqueUrl('T1526'),
        ],
        falsePositives: ['Someone opening the SES console, which makes several of these calls at once.'],
        runbook:
          "Check whether the principal works with SES. If not, and especially for a long-lived access key used from an unknown address: deactivate the key, look for SendEmail / SendRawEmail / UpdateAccountSendingEnabled and support cases asking for production access, and review the key's other calls.",
        failedCalls: FAILED_CALLS.lowerSeverity,
        weaknesses: [
          'Calls spread over regions count per window and principal, not per region; a slow enumeration stays below the threshold.',
        ],
        stratus: ['aws.discovery.ses-enumerate'],
      },
      events: { 'ses.amazonaws.com': SES_DISCOVERY, 'email.amazonaws.com': SES_DISCOVERY },
      noun: 'SES discovery calls',
      verb: 'made',
      items: (_params, record) => [String(record.eventName)],
    },
    settings,
  );
}

export const sesEnumeration = createSesEnumeration();
