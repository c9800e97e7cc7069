import { burstDetector, stringsOf, type BurstOptions } from './burst.ts';
import { stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** Defaults: user data of 3 distinct instances read by one principal within 10 minutes. */
export const USER_DATA_DOWNLOAD_DEFAULTS: BurstOptions = { threshold: 3, windowMinutes: 10 };

/** EC2 user data read (DescribeInstanceAttribute userData) by one principal for several instances. */
export function createEc2UserDataDownloaded(options: Partial<BurstOptions> = {}) {
  const settings = { ...USER_DATA_DOWNLOAD_DEFAULTS, ...options };
  return burstDetector(
    {
      meta: {
        id: 'ec2-user-data-downloaded',
        title: 'EC2 user data downloaded',
        description: `One principal read the user data of ${settings.threshold} or more distinct instances (DescribeInstanceAttribute with attribute userData) within ${settings.windowMinutes} minutes. Boot scripts often hold secrets; reading many is how tools such as Pacu harvest them.`,
        severity: 'medium',
        mitre: { id: 'T1552', name: 'Unsecured Credentials' },
        references: [
          'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceAttribute.html',
          'https://hackingthe.cloud/aws/general-knowledge/introduction_user_data/',
          techniqueUrl('T1552'),
        ],
        falsePositives: [
          "Inventory or compliance scanners that read every instance's attributes (a stable principal: suppress it).",
          'Terraform or OpenTofu plans: refreshing an aws_instance reads its user data, so a plan over 3 or more instances is one finding per plan (suppress the plan role).',
        ],
        runbook:
          "Check whether the principal is a known scanner. If not: read the user data of the instances named (and the rest of the window's calls), rotate any secret found in it, move secrets to Secrets Manager, and revoke the principal's credentials.",
        failedCalls: FAILED_CALLS.lowerSeverity,
        weaknesses: ["A single instance's user data read once is not flagged."],
        stratus: ['aws.discovery.ec2-download-user-data'],
      },
      events: { 'ec2.amazonaws.com': ['DescribeInstanceAttribute'] },
      noun: 'instances',
      verb: 'read the user data of',
      items: (params) => (params?.attribute === 'userData' ? stringsOf(stringAt(params, 'instanceId')) : []),
    },
    settings,
  );
}

export const ec2UserDataDownloaded = createEc2UserDataDownloaded();
