import { apiCallDetector, findStrings } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** EC2 `DeleteFlowLogs`: network traffic metadata of a VPC, subnet or interface no longer recorded. */
export const vpcFlowLogsDeleted = apiCallDetector(
  {
    id: 'vpc-flow-logs-deleted',
    title: 'VPC flow logs deleted',
    description:
      'An EC2 DeleteFlowLogs call: the VPC, subnet or network interface stops recording its traffic, hiding exfiltration and lateral movement.',
    severity: 'medium',
    mitre: { id: 'T1562.008', name: 'Impair Defenses: Disable or Modify Cloud Logs' },
    references: [
      'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteFlowLogs.html',
      techniqueUrl('T1562.008'),
    ],
    falsePositives: ['Infrastructure-as-code replacing or removing a VPC and its flow logs.'],
    runbook:
      "Recreate the flow log (CreateFlowLogs) for the resource if it still exists. Check whether a change covers the delete; if not, review the principal's other calls and the resource's traffic just before the gap.",
    failedCalls: FAILED_CALLS.lowerSeverity,
    stratus: ['aws.defense-evasion.vpc-remove-flow-logs'],
  },
  { 'ec2.amazonaws.com': ['DeleteFlowLogs'] },
  // CloudTrail records the ids as DeleteFlowLogsRequest.FlowLogId.content (one or a list); any fl- string will do.
  (params) => {
    const ids = findStrings(params, (text) => text.startsWith('fl-'), 10);
    return `DeleteFlowLogs requested for ${ids.length > 0 ? `flow log ${ids.join(', ')}` : 'unnamed flow logs'}.`;
  },
);
