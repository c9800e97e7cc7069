import { burstDetector, stringsOf, type BurstOptions } from './burst.ts';
import { stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** Defaults: keys pushed to 3 distinct instances by one principal within 10 minutes. */
export const INSTANCE_CONNECT_DEFAULTS: BurstOptions = { threshold: 3, windowMinutes: 10 };

/** EC2 Instance Connect SSH keys (SendSSHPublicKey) pushed by one principal to several instances. */
export function createEc2InstanceConnectOnManyInstances(options: Partial<BurstOptions> = {}) {
  const settings = { ...INSTANCE_CONNECT_DEFAULTS, ...options };
  return burstDetector(
    {
      meta: {
        id: 'ec2-instance-connect-on-many-instances',
        title: 'EC2 Instance Connect on many instances',
        description: `One principal pushed SSH public keys with EC2 Instance Connect (SendSSHPublicKey) to ${settings.threshold} or more distinct instances within ${settings.windowMinutes} minutes. Each key lets its holder log in for 60 seconds: many at once is how an intruder spreads to hosts.`,
        severity: 'medium',
        mitre: { id: 'T1021.008', name: 'Remote Services: Direct Cloud VM Connections' },
        references: [
          'https://docs.aws.amazon.com/ec2-instance-connect/latest/APIReference/API_SendSSHPublicKey.html',
          'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-connect-methods.html',
          techniqueUrl('T1021.008'),
        ],
        falsePositives: [
          "Operators logging in to several instances through the console's EC2 Instance Connect button.",
        ],
        runbook:
          "Ask the principal's owner. If not theirs: revoke the principal's credentials, check each instance's auth log for logins in the 60 seconds after each key (instanceOSUser names the account), and restrict ec2-instance-connect:SendSSHPublicKey.",
        failedCalls: FAILED_CALLS.lowerSeverity,
        weaknesses: ['One instance reached once is not flagged.'],
        stratus: ['aws.lateral-movement.ec2-instance-connect'],
      },
      events: { 'ec2-instance-connect.amazonaws.com': ['SendSSHPublicKey'] },
      noun: 'instances',
      verb: 'pushed SSH keys to',
      items: (params) => stringsOf(stringAt(params, 'instanceId')),
    },
    settings,
  );
}

export const ec2InstanceConnectOnManyInstances = createEc2InstanceConnectOnManyInstances();
