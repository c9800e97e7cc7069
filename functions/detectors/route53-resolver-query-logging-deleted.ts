import { apiCallDetector, label, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** Route 53 Resolver query logging deleted or detached from a VPC: DNS queries no longer logged. */
export const route53ResolverQueryLoggingDeleted = apiCallDetector(
  {
    id: 'route53-resolver-query-logging-deleted',
    title: 'Route 53 Resolver query logging deleted',
    description:
      'A DeleteResolverQueryLogConfig or DisassociateResolverQueryLogConfig call: DNS queries from the VPC(s) stop being logged, hiding DNS tunnelling, exfiltration and command-and-control lookups.',
    severity: 'medium',
    mitre: { id: 'T1562.008', name: 'Impair Defenses: Disable or Modify Cloud Logs' },
    references: [
      'https://docs.aws.amazon.com/Route53/latest/APIReference/API_route53resolver_DeleteResolverQueryLogConfig.html',
      'https://docs.aws.amazon.com/Route53/latest/APIReference/API_route53resolver_DisassociateResolverQueryLogConfig.html',
      techniqueUrl('T1562.008'),
    ],
    falsePositives: [
      'VPC tear-down or a move to a shared (RAM) query logging configuration by infrastructure-as-code.',
    ],
    runbook:
      "List the query logging configurations and their associations (ListResolverQueryLogConfigAssociations); re-associate the VPC if it is unlogged. If not planned, review the principal's other calls and the VPC's traffic around the gap.",
    failedCalls: FAILED_CALLS.lowerSeverity,
    stratus: ['aws.defense-evasion.dns-delete-logs'],
  },
  { 'route53resolver.amazonaws.com': ['DeleteResolverQueryLogConfig', 'DisassociateResolverQueryLogConfig'] },
  (params, record) => {
    const config = label('query logging configuration', stringAt(params, 'resolverQueryLogConfigId'));
    return record.eventName === 'DeleteResolverQueryLogConfig'
      ? `DeleteResolverQueryLogConfig requested for ${config}.`
      : `DisassociateResolverQueryLogConfig requested to detach ${config} from ${label('resource', stringAt(params, 'resourceId'))}.`;
  },
);
