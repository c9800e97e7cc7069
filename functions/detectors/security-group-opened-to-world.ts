import { apiCallDetector, at, itemsOf, label, objectsOf, stringAt, type Json } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

const WORLD_V4 = '0.0.0.0/0';
const WORLD_V6 = '::/0';
// Remote administration ports: opening them to the world raises the finding to high.
const ADMIN_PORTS = [22, 3389];

interface OpenRule {
  protocol: string;
  from?: number;
  to?: number;
  cidr: string;
}

function portOf(value: unknown): number | undefined {
  const port = typeof value === 'string' ? Number(value) : value;
  return typeof port === 'number' && Number.isInteger(port) ? port : undefined;
}

function ruleOf(permission: Json, cidr: string): OpenRule {
  return { protocol: String(permission.ipProtocol ?? '-1'), from: portOf(permission.fromPort), to: portOf(permission.toPort), cidr };
}

/** Rules of the request open to any address: ipPermissions.items[] ranges, or the flat cidrIp form. */
function openRules(params: Json | undefined): OpenRule[] {
  const rules: OpenRule[] = [];
  for (const permission of objectsOf(itemsOf(at(params, 'ipPermissions')))) {
    if (objectsOf(itemsOf(permission.ipRanges)).some((range) => range.cidrIp === WORLD_V4)) rules.push(ruleOf(permission, WORLD_V4));
    if (objectsOf(itemsOf(permission.ipv6Ranges)).some((range) => range.cidrIpv6 === WORLD_V6)) rules.push(ruleOf(permission, WORLD_V6));
  }
  if (params?.cidrIp === WORLD_V4) rules.push(ruleOf(params, WORLD_V4));
  return rules;
}

function isAllTraffic(rule: OpenRule): boolean {
  return rule.protocol === '-1' || rule.protocol === 'all' || (rule.from === -1 && rule.to === -1) || (rule.from === 0 && rule.to === 65535);
}

function exposesAdminPort(rule: OpenRule): boolean {
  if (isAllTraffic(rule)) return true;
  return ADMIN_PORTS.some((port) => rule.from !== undefined && rule.to !== undefined && rule.from <= port && port <= rule.to);
}

function describe(rule: OpenRule): string {
  if (isAllTraffic(rule)) return `all traffic from ${rule.cidr}`;
  const ports = rule.from === undefined ? '' : rule.from === rule.to ? `/${rule.from}` : `/${rule.from}-${rule.to ?? '?'}`;
  return `${rule.protocol}${ports} from ${rule.cidr}`;
}

/** EC2 `AuthorizeSecurityGroupIngress` allowing 0.0.0.0/0 or ::/0. */
export const securityGroupOpenedToWorld = apiCallDetector(
  {
    id: 'security-group-opened-to-world',
    title: 'Security group opened to the world',
    description:
      'A successful EC2 AuthorizeSecurityGroupIngress that allows inbound traffic from 0.0.0.0/0 or ::/0. Medium by default; high when the rule covers all traffic or a remote administration port (22, 3389).',
    severity: 'medium',
    mitre: { id: 'T1562.007', name: 'Impair Defenses: Disable or Modify Cloud Firewall' },
    references: [
      'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html',
      techniqueUrl('T1562.007'),
    ],
    falsePositives: ['Public load balancers or web servers opened on 80/443 on purpose.'],
    runbook:
      'Check what the security group is attached to and whether the exposure is intended. If not, revoke the rule (RevokeSecurityGroupIngress) or narrow it to known addresses; for SSH/RDP prefer Session Manager. Review connections to the attached resources (VPC flow logs) since the change.',
    failedCalls: FAILED_CALLS.ignored,
    weaknesses: ['Rules that reference prefix lists or other wide but not world-wide ranges are not matched.'],
  },
  { 'ec2.amazonaws.com': ['AuthorizeSecurityGroupIngress'] },
  (params) => {
    const rules = openRules(params);
    if (rules.length === 0) return undefined;
    const group = label('security group', stringAt(params, 'groupId') ?? stringAt(params, 'groupName'));
    return {
      reason: `AuthorizeSecurityGroupIngress allowed ${rules.slice(0, 5).map(describe).join(', ')} on ${group}.`,
      severity: rules.some(exposesAdminPort) ? 'high' : 'medium',
    };
  },
);
