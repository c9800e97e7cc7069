import { principalOf } from '../core/cloudtrail.ts';
import { apiCallDetector, label, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** An SSH key pushed for the EC2 serial console, or serial console access switched on for the account. */
export const ec2SerialConsoleSshKey = apiCallDetector(
  {
    id: 'ec2-serial-console-ssh-key',
    title: 'EC2 serial console SSH key pushed',
    description:
      'EC2 Instance Connect SendSerialConsoleSSHPublicKey (a key for the serial console of an instance: OS-level access that bypasses the network and security groups) or EC2 EnableSerialConsoleAccess (the account-wide switch that makes it possible). The serial console is a break-glass tool; any use deserves a look.',
    severity: 'high',
    mitre: { id: 'T1021.008', name: 'Remote Services: Direct Cloud VM Connections' },
    references: [
      'https://docs.aws.amazon.com/ec2-instance-connect/latest/APIReference/API_SendSerialConsoleSSHPublicKey.html',
      'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableSerialConsoleAccess.html',
      techniqueUrl('T1021.008'),
    ],
    falsePositives: ['An operator repairing an instance that does not boot or has lost its network.'],
    runbook:
      "Confirm with the principal's owner that a break-glass repair was under way. If not: disable serial console access (DisableSerialConsoleAccess), revoke the principal's credentials, and examine the instance for changes made from the console.",
    failedCalls: FAILED_CALLS.lowerSeverity,
    stratus: ['aws.lateral-movement.ec2-serial-console-send-ssh-public-key'],
  },
  {
    'ec2-instance-connect.amazonaws.com': ['SendSerialConsoleSSHPublicKey'],
    'ec2.amazonaws.com': ['EnableSerialConsoleAccess'],
  },
  (params, record) =>
    record.eventName === 'EnableSerialConsoleAccess'
      ? { reason: `EnableSerialConsoleAccess requested by ${principalOf(record)}.`, severity: 'medium' }
      : `SendSerialConsoleSSHPublicKey requested by ${principalOf(record)} for ${label('instance', stringAt(params, 'instanceId'))}.`,
);
