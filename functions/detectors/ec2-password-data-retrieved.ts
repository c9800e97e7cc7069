import { principalOf } from '../core/cloudtrail.ts';
import { apiCallDetector, label, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** EC2 `GetPasswordData`: the encrypted Windows administrator password of an instance. */
export const ec2PasswordDataRetrieved = apiCallDetector(
  {
    id: 'ec2-password-data-retrieved',
    title: 'EC2 Windows password data retrieved',
    description:
      'An EC2 GetPasswordData call: the Windows Administrator password of an instance, encrypted with its launch key pair. Whoever holds the key pair can log in over RDP. Rare in accounts that use Session Manager or Fleet Manager; failed calls (an intruder probing many instances) are reported one step lower.',
    severity: 'medium',
    mitre: { id: 'T1552', name: 'Unsecured Credentials' },
    references: [
      'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetPasswordData.html',
      techniqueUrl('T1552'),
    ],
    falsePositives: [
      'Administrators retrieving the password of a new Windows instance from the console (Connect > RDP client).',
    ],
    runbook:
      "Ask the principal's owner. If unexpected: change the instance's Administrator password, check its RDP logons since the call, and restrict ec2:GetPasswordData. Many calls on different instances in a short time mean someone is harvesting passwords.",
    failedCalls: FAILED_CALLS.lowerSeverity,
    weaknesses: ['Every call is reported, one finding each: probing many instances gives many findings.'],
    stratus: ['aws.credential-access.ec2-get-password-data'],
  },
  { 'ec2.amazonaws.com': ['GetPasswordData'] },
  (params, record) =>
    `GetPasswordData requested by ${principalOf(record)} for ${label('instance', stringAt(params, 'instanceId'))}.`,
);
