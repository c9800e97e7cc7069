import { apiCallDetector, label, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** EC2 `ModifyInstanceAttribute` changing an instance's user data (its boot script). */
export const ec2UserDataModified = apiCallDetector(
  {
    id: 'ec2-user-data-modified',
    title: 'EC2 user data modified',
    description:
      "An EC2 ModifyInstanceAttribute call that sets the instance's user data. User data scripts run as root (or SYSTEM) when the instance starts, so changing them on a stopped instance runs the caller's code with the instance role. CloudTrail redacts the new value.",
    severity: 'medium',
    mitre: { id: 'T1059.009', name: 'Command and Scripting Interpreter: Cloud API' },
    references: [
      'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyInstanceAttribute.html',
      'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html',
      techniqueUrl('T1059.009'),
    ],
    falsePositives: ['Operators updating the bootstrap script of a long-lived instance.'],
    runbook:
      "Read the current user data (DescribeInstanceAttribute --attribute userData) and compare it with the expected bootstrap. Look for StopInstances / StartInstances around the change. If unexpected: stop the instance, preserve its volumes for forensics and revoke the instance role's sessions.",
    failedCalls: FAILED_CALLS.lowerSeverity,
    stratus: ['aws.execution.ec2-user-data'],
  },
  { 'ec2.amazonaws.com': ['ModifyInstanceAttribute'] },
  // Two shapes: { instanceId, userData } and { instanceId, attribute: 'userData', value }.
  (params) =>
    (params?.userData !== undefined && params.userData !== null) || params?.attribute === 'userData'
      ? `ModifyInstanceAttribute requested new user data for ${label('instance', stringAt(params, 'instanceId'))}.`
      : undefined,
);
