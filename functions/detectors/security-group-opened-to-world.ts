import { apiCallDetector, at, itemsOf, label, objectsOf, stringAt, type Json } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

// A prefix length of 0 matches every address, whatever the base address: 0.0.0.0/0, 10.1.2.3/0, ::/0, 2001:db8::/0.
function isWorld(cidr: unknown): cidr is string {
  return typeof cidr === 'string' && /^[0-9a-fA-F:.]+\/0+$/.test(cidr.trim());
}
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
  return {
    protocol: String(permission.ipProtocol ?? '-1'),
    from: portOf(permission.fromPort),
    to: portOf(permission.toPort),
    cidr,
  };
}

/** Rules of the request open to any address: ipPermissions.items[] ranges, or the flat cidrIp / cidrIpv6 form. */
function openRules(params: Json | undefined): OpenRule[] {
  const rules: OpenRule[] = [];
  for (const permission of objectsOf(itemsOf(at(params, 'ipPermissions')))) {
    const v4 = objectsOf(itemsOf(permission.ipRanges)).find((range) => isWorld(range.cidrIp));
    if (v4) rules.push(ruleOf(permission, String(v4.cidrIp).trim()));
    const v6 = objectsOf(itemsOf(permission.ipv6Ranges)).find((range) => isWorld(range.cidrIpv6));
    if (v6) rules.push(ruleOf(permission, String(v6.cidrIpv6).trim()));
  }
  for (const field of ['cidrIp', 'cidrIpv6'] as const) {
    const cidr = params?.[field];
    if (isWorld(cidr)) rules.push(ruleOf(params!, cidr.trim()));
  }
  return rules;
}

function isAllTraffic(rule: OpenRule): boolean {
  return (
    rule.protocol === '-1' ||
    rule.protocol === 'all' ||
    (rule.from === -1 && rule.to === -1) ||
    (rule.from === 0 && rule.to === 65535)
  );
}

function exposesAdminPort(rule: OpenRule): boolean {
  if (isAllTraffic(rule)) return true;
  return ADMIN_PORTS.some(
    (port) => rule.from !== undefined && rule.to !== undefined && rule.from <= port && port <= rule.to,
  );
}

function describe(rule: OpenRule): string {
  if (isAllTraffic(rule)) return `all traffic from ${rule.cidr}`;
  const ports =
    rule.from === undefined ? '' : rule.from === rule.to ? `/${rule.from}` : `/${rule.from}-${rule.to ?? '?'}`;
  return `${rule.protocol}${ports} from ${rule.cidr}`;
}

/** EC2 `AuthorizeSecurityGroupIngress` allowing any /0 range (0.0.0.0/0, ::/0 and the like). */
export const securityGroupOpenedToWorld = apiCallDetector(
  {
    id: 'security-group-opened-to-world',
    title: 'Security group opened to the world',
    description:
      'A successful EC2 AuthorizeSecurityGroupIngress that allows inbound traffic from the whole internet: any IPv4 or IPv6 range with prefix length /0 (0.0.0.0/0, ::/0, or a /0 written with another base address), in ipPermissions or the flat cidrIp / cidrIpv6 form. Medium by default; high when the rule covers all traffic or a remote administration port (22, 3389).',
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
    weaknesses: [
      'Rules that reference prefix lists or other wide but not world-wide ranges (e.g. 0.0.0.0/1 twice) are not matched.',
    ],
    stratus: ['aws.exfiltration.ec2-security-group-open-port-22-ingress'],
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
