import type { AwsIpRanges } from '../core/addresses.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import type { AggregateLookup, CorrelatingDetector, Verdict } from '../core/correlation.ts';
import { ConfigError } from '../core/errors.ts';
import {
  evidenceKey,
  joinInto,
  mergeAggregates,
  observeRecord,
  packOf,
  type AddressEntry,
  type InstanceAggregate,
  type OffInstanceAggregate,
  type SessionEntry,
} from './instance-aggregate.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS, type DetectorMatch, type Severity } from './types.ts';

export { canonicalAddress, loadAwsIpRanges, parseAwsIpRanges, type AwsIpRanges } from '../core/addresses.ts';
export { callOrigin, instanceSessionOf, userAgentFamily, type InstanceSession } from './instance-sessions.ts';

/*
 * The decision of the off-instance detector, judged on the correlation stage (see
 * functions/core/correlation.ts and docs/architecture.md "Correlation"); the aggregate it judges
 * is built in instance-aggregate.ts, the sessions are recognised in instance-sessions.ts.
 *
 * Per instance session, the home is where the instance is:
 * - calls through the account's VPC endpoints and from private addresses are home;
 * - a public address is home when it is the account's egress (at least `egressInstanceThreshold`
 *   instances start a session's public calls there), or when it starts another session of the
 *   same instance;
 * - otherwise the session's earliest public address that nothing argues against is home.
 *   Against it: outside AWS's published ranges, used by people's long-term keys (unless inside
 *   AWS), another account's VPC endpoint, or an instance whose other sessions only ever called
 *   through endpoints or private addresses.
 * Every other public address of the session is a finding, one per (instance, address, kind).
 */

const DETECTOR_ID = 'ec2-instance-credentials-off-instance';

/** Instances that must start their public calls at an address before it is the account's egress (NAT gateway). */
export const DEFAULT_EGRESS_INSTANCE_THRESHOLD = 3;

/** Options of {@link createEc2InstanceCredentialsOffInstance}. */
export interface Ec2InstanceCredentialsOffInstanceOptions {
  /** AWS's published ranges; enables the "outside AWS" evidence (GuardDuty's OutsideAWS signal). */
  awsIpRanges?: AwsIpRanges;
  /** Distinct instances that must share an address before it is the account's egress; default 3. */
  egressInstanceThreshold?: number;
}

/** What is known about one public address of an instance when it is judged. */
export interface AddressEvidence {
  address: string;
  /** Outside AWS's published ranges; undefined when no ip-ranges.json was given. */
  outsideAws: boolean | undefined;
  /** An IAM user whose long-term access key was used from the address, if any. */
  person: string | undefined;
  /** Instances of the account that start a session's public calls at the address (counted up to a cap). */
  egressInstances: number;
  isEgress: boolean;
  /** Another account's VPC endpoint (`vpce:<id>@<account>`), not an address. */
  foreignEndpoint: boolean;
}

/** Why an address is flagged: another address than the home one, off the instance by evidence, or an endpoint-only instance. */
export type FlagKind = 'other-address' | 'off-instance' | 'endpoint-only';

/** One flagged address of an instance, over all its sessions. */
export interface OffInstanceFlag {
  address: string;
  kind: FlagKind;
  /** creationDates of the sessions that used the address. */
  sessions: string[];
  match: DetectorMatch;
}

/**
 * Detects EC2 instance role credentials used from somewhere other than the instance, as GuardDuty's
 * InstanceCredentialExfiltration and Netflix's 2018 method do, judged over every call of the
 * instance's sessions (so the verdict does not depend on the order files are processed in).
 */
export function createEc2InstanceCredentialsOffInstance(
  options: Ec2InstanceCredentialsOffInstanceOptions = {},
): CorrelatingDetector<OffInstanceAggregate> {
  const ranges = options.awsIpRanges;
  const threshold = validThreshold(options.egressInstanceThreshold);

  async function evidenceOf(
    account: string,
    address: string,
    self: InstanceAggregate,
    selfRef: string,
    lookup: AggregateLookup<OffInstanceAggregate>,
  ): Promise<AddressEvidence> {
    if (address.startsWith('vpce:'))
      return {
        address,
        outsideAws: undefined,
        person: undefined,
        egressInstances: 0,
        isEgress: false,
        foreignEndpoint: true,
      };
    const found = await lookup(evidenceKey(account, address));
    const entry = found?.t === 'e' ? found.a[address] : undefined;
    const members = entry?.i ?? [];
    let egressInstances = 0;
    // Only instances whose own sessions start their public calls here count (startsItsSessions).
    if (members.length >= threshold) {
      for (const member of members) {
        const other = member === selfRef ? self : await lookup(instanceKeyOfRef(account, member));
        if (other?.t === 'i' && startsItsSessions(other, address)) egressInstances++;
      }
    }
    return {
      address,
      outsideAws: ranges ? !ranges.contains(address) : undefined,
      person: entry?.p?.[0],
      egressInstances,
      isEgress: egressInstances >= threshold,
      foreignEndpoint: false,
    };
  }

  return {
    kind: 'correlating',
    meta: {
      id: DETECTOR_ID,
      title: 'EC2 instance credentials used off the instance',
      description:
        "A call made with an EC2 instance role session (IMDS-delivered credentials, recognised by userIdentity.sessionContext.ec2RoleDelivery) from a public address that is not where the instance is. Per session, the home is the account's VPC endpoints and private addresses, the account's egress (NAT gateways shared by several instances), the address the instance's other sessions start at, or else the session's earliest public address that no evidence argues against (outside AWS's published ranges, used by people's access keys, another account's VPC endpoint, an instance that otherwise only calls through endpoints). Judged on the correlation stage over all of the instance's calls, so the verdict does not depend on processing order. The workshop's \"extra credit\", done the way GuardDuty (InstanceCredentialExfiltration) and Netflix (2018) do it.",
      severity: 'high',
      mitre: { id: 'T1552.005', name: 'Unsecured Credentials: Cloud Instance Metadata API' },
      stratus: ['aws.credential-access.ec2-steal-instance-credentials'],
      references: [
        techniqueUrl('T1552.005'),
        'https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html#unauthorizedaccess-iam-instancecredentialexfiltrationoutsideaws',
        'https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html#unauthorizedaccess-iam-instancecredentialexfiltrationinsideaws',
        'https://medium.com/netflix-techblog/netflix-cloud-security-detecting-credential-compromise-in-aws-9493d6fd373a',
        'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html',
        'https://docs.aws.amazon.com/vpc/latest/userguide/aws-ip-ranges.html',
      ],
      falsePositives: [
        "The instance's own address changed during a session (an Elastic IP moved or associated, a public IP added): the new address is flagged for that session.",
        'An instance that reaches some endpoints over IPv6 and others over IPv4 (dual-stack endpoints) shows two addresses.',
        'An instance that otherwise only calls through VPC endpoints and now and then calls out through its own public address or a NAT gateway it alone uses.',
        "Instances behind an on-premises proxy (Direct Connect or VPN) egress outside AWS's ranges: flagged until enough instances start their sessions there to make it the account's egress; suppress a known proxy by sourceIPs.",
        "A person deliberately using an instance's credentials from a workstation while debugging: true off-instance use, but not theft.",
      ],
      runbook:
        "Compare sourceIPAddress with the instance's addresses (DescribeInstances, network interfaces, Elastic IP history in CloudTrail) and with the home address given in the reason. A failed call (AccessDenied) from another address is still an attempt to use stolen credentials: treat it like a success. If the address is not the instance's: revoke the role's active sessions (IAM console \"Revoke active sessions\", i.e. an AWSRevokeOlderSessions deny), require IMDSv2 (HttpTokens=required, hop limit 1) on the instance, look for SSRF or a compromised process on it, and review every call made from the address.",
      failedCalls: FAILED_CALLS.matched,
      weaknesses: [
        'Trails from before ec2RoleDelivery existed (2021) are not covered: a session named like an instance id without it is not treated as an instance session, so forged look-alike session names cannot cause findings either way.',
        'Stolen credentials used from another host in the same VPC through its endpoints, or behind the same NAT gateway, look like the instance (GuardDuty has the same blind spot).',
        "A thief who uses a session before the instance's own public calls, from an AWS address nobody's keys use, on a new instance (no other sessions yet), is taken as home: give ip-ranges.json to catch the outside-AWS case.",
        "A thief who steals every session of an endpoint-only instance and uses each from the same AWS address makes that address look like where the instance's sessions start.",
        "Counts are lower bounds, and an instance keeps its newest 24 sessions and earliest 8 public addresses within the aggregates' retention (AGGREGATE_TTL_DAYS, default 3).",
      ],
    },

    observe: observeRecord,
    merge: mergeAggregates,
    accumulate: joinInto,
    pack: packOf,
    judges: (key) => key.startsWith('instance|'),

    async judge(key, aggregate, lookup): Promise<Verdict[]> {
      if (aggregate.t !== 'i') return [];
      const [, account = '', roleArn = ''] = key.split('|');
      const selfRef = `${roleArn}|${key.slice(key.lastIndexOf('|') + 1)}`;
      const addresses = new Set(Object.values(aggregate.s).flatMap((session) => Object.keys(session.p)));
      const evidence = new Map<string, AddressEvidence>();
      for (const address of [...addresses].sort())
        evidence.set(address, await evidenceOf(account, address, aggregate, selfRef, lookup));
      return decideInstance(aggregate, (address) => evidence.get(address)!, { roleArn, instanceId: aggregate.id }).map(
        (flag) => verdictOf(aggregate, flag, roleArn, account),
      );
    },
  };
}

/** The detector with default options (no ip-ranges.json: account and instance evidence only). */
export const ec2InstanceCredentialsOffInstance = createEc2InstanceCredentialsOffInstance();

/**
 * Whether the instance lives behind `address`: its sessions start their public calls there, in
 * two sessions at least when it has several. A thief who uses one stolen session of each of
 * several instances from one address starts one session of each, and never makes it an egress.
 */
function startsItsSessions(aggregate: InstanceAggregate, address: string): boolean {
  const sessions = Object.values(aggregate.s);
  const starts = sessions.filter((session) => earliestPublic(session) === address).length;
  return starts >= Math.min(2, sessions.length);
}

function earliestPublic(session: SessionEntry): string | undefined {
  let best: [string, string] | undefined;
  for (const [address, [first]] of Object.entries(session.p)) {
    if (!best || first < best[1] || (first === best[1] && address < best[0])) best = [address, first];
  }
  return best?.[0];
}

function instanceKeyOfRef(account: string, ref: string): string {
  const bar = ref.lastIndexOf('|');
  return `instance|${account}|${ref.slice(0, bar)}|${ref.slice(bar + 1)}`;
}

/**
 * The one decision, pure: the flagged addresses of an instance with a reason sentence naming the
 * evidence (see the comment at the top of this file for the rules).
 */
export function decideInstance(
  aggregate: InstanceAggregate,
  evidence: (address: string) => AddressEvidence,
  who: { roleArn: string; instanceId: string },
): OffInstanceFlag[] {
  const sessions = Object.keys(aggregate.s).sort();
  const flags = new Map<string, OffInstanceFlag>();
  for (const creationDate of sessions) {
    const session = aggregate.s[creationDate]!;
    const used = Object.entries(session.p).sort(([a, x], [b, y]) =>
      x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : a < b ? -1 : 1,
    );
    if (used.length === 0) continue;
    const others = sessions.filter((other) => other !== creationDate).map((other) => aggregate.s[other]!);
    const starts = new Set(others.map(earliestPublic).filter((a): a is string => a !== undefined));
    const endpointOnly = others.length > 0 && starts.size === 0;
    const against = (address: string): string | undefined => {
      const e = evidence(address);
      if (e.foreignEndpoint) return `${address.replace(/^vpce:/, 'VPC endpoint ')} belongs to another account`;
      if (e.outsideAws === true) return `${address} is outside AWS's published ranges`;
      if (e.person !== undefined && e.outsideAws !== false) return `people's access keys use ${address} (${e.person})`;
      if (endpointOnly) return `the instance's other sessions only called through VPC endpoints or private addresses`;
      return undefined;
    };
    // Where other sessions start is home only if the address itself says nothing against it, so
    // a thief who keeps stealing the new sessions from outside AWS is never taken as home.
    let homes = used.filter(
      ([address]) => evidence(address).isEgress || (starts.has(address) && against(address) === undefined),
    );
    const byEvidence = homes.length > 0;
    if (!byEvidence) {
      const fallback = used.find(([address]) => against(address) === undefined);
      if (fallback) homes = [fallback];
    }
    const home = homes[0];
    const homeAddresses = new Set(homes.map(([address]) => address));
    const homeAgents = new Set(homes.flatMap(([address]) => aggregate.a[address]?.ua ?? []));
    for (const [address, span] of used) {
      if (homeAddresses.has(address)) continue;
      const e = evidence(address);
      const reasonAgainst = against(address);
      let kind: FlagKind;
      let severity: Severity;
      const facts: string[] = [];
      if (home && (byEvidence || span[0] > home[1][0] || reasonAgainst === undefined)) {
        kind = 'other-address';
        severity = 'high';
        const why = evidence(home[0]).isEgress
          ? "this account's egress"
          : byEvidence
            ? "where the instance's other sessions start"
            : 'where this session is first seen';
        facts.push(`used from ${address}, not from ${home[0]}, ${why} (${home[1][0]})`);
        if (reasonAgainst && !endpointOnly) facts.push(reasonAgainst);
      } else if (endpointOnly && !e.foreignEndpoint) {
        kind = 'endpoint-only';
        severity = 'high';
        facts.push(
          `used from ${address}, while the instance's other sessions only called through VPC endpoints or private addresses`,
        );
        if (e.outsideAws === true) facts.push(`${address} is outside AWS's published ranges`);
      } else {
        kind = 'off-instance';
        severity = 'medium';
        facts.push(
          `used from ${address}, and ${reasonAgainst ?? "no address of the session is known to be the instance's"}; not an egress address of this account`,
        );
      }
      const agents = aggregate.a[address]?.ua ?? [];
      const stranger = agents.find((agent) => homeAgents.size > 0 && !homeAgents.has(agent));
      if (stranger) {
        severity = raise(severity);
        facts.push(`user agent ${stranger} differs from the home address's ${[...homeAgents].join(', ')}`);
      }
      const errorCode = aggregate.a[address]?.x?.r.errorCode;
      if (typeof errorCode === 'string' && errorCode)
        facts.push(
          `the call shown failed (${errorCode.slice(0, 64)}), which is still an attempt to use the credentials`,
        );
      const subject = `${address}#${kind}`;
      const known = flags.get(subject);
      if (known) {
        known.sessions.push(creationDate);
        if (rank(severity) <= rank(known.match.severity ?? 'info')) continue;
      }
      const title =
        kind === 'off-instance'
          ? "EC2 instance credentials used from an address that is not the instance's"
          : undefined;
      const reason = `Credentials of instance ${who.instanceId} (role ${roleName(who.roleArn)}), session of ${creationDate}: ${facts.join('; ')}.`;
      const match: DetectorMatch = title ? { severity, title, reason } : { severity, reason };
      if (known) known.match = match;
      else flags.set(subject, { address, kind, sessions: [creationDate], match });
    }
  }
  return [...flags.values()];
}

function verdictOf(aggregate: InstanceAggregate, flag: OffInstanceFlag, roleArn: string, account: string): Verdict {
  const entry: AddressEntry | undefined = aggregate.a[flag.address];
  // An address beyond the cap has no copy of its record: the finding shows what is known of it.
  const record: CloudTrailRecord = entry?.x?.r ?? {
    eventTime:
      Object.values(aggregate.s)
        .map((s) => s.p[flag.address]?.[0])
        .filter((t): t is string => !!t)
        .sort()[0] ?? '1970-01-01T00:00:00Z',
    sourceIPAddress: flag.address,
    recipientAccountId: account,
    userIdentity: {
      type: 'AssumedRole',
      arn: `${roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/')}/${aggregate.id}`,
    },
  };
  return { subject: `${flag.address}#${flag.kind}`, record, objectKey: entry?.x?.k ?? '', match: flag.match };
}

const SEVERITY_ORDER: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];
const rank = (severity: Severity) => SEVERITY_ORDER.indexOf(severity);

function raise(severity: Severity): Severity {
  return SEVERITY_ORDER[Math.min(rank(severity) + 1, SEVERITY_ORDER.length - 1)]!;
}

function roleName(roleArn: string): string {
  const slash = roleArn.lastIndexOf('/');
  return slash === -1 ? roleArn : roleArn.slice(slash + 1);
}

function validThreshold(value: number | undefined): number {
  if (value === undefined) return DEFAULT_EGRESS_INSTANCE_THRESHOLD;
  if (!Number.isInteger(value) || value < 2)
    throw new ConfigError(`egressInstanceThreshold must be an integer >= 2, got ${String(value)}`);
  return value;
}
