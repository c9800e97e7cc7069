import type { AwsIpRanges } from '../core/addresses.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import type { CorrelatingDetector, Verdict } from '../core/correlation.ts';
import {
  joinInto,
  LIMITS,
  mergeAggregates,
  observeRecord,
  packOf,
  type AddressEntry,
  type InstanceAggregate,
  type OffInstanceAggregate,
} from './instance-aggregate.ts';
import { observeRecordInto } from './instance-fold.ts';
import { earliestPublic, egressThresholdOf, instanceEvidence, type AddressEvidence } from './instance-evidence.ts';
import { OFF_INSTANCE_META } from './off-instance-meta.ts';
import type { DetectorMatch, Severity } from './types.ts';

export { canonicalAddress, loadAwsIpRanges, parseAwsIpRanges, type AwsIpRanges } from '../core/addresses.ts';
export { callOrigin, instanceSessionOf, userAgentFamily, type InstanceSession } from './instance-sessions.ts';
export { DEFAULT_EGRESS_INSTANCE_THRESHOLD, type AddressEvidence } from './instance-evidence.ts';

/*
 * The decision of the off-instance detector and the evidence its findings show, judged on the
 * correlation stage (see functions/core/correlation.ts and docs/architecture.md "Correlation").
 * The sessions are recognised in instance-sessions.ts, the aggregate it judges is built in
 * instance-aggregate.ts, what is known of each address is read in instance-evidence.ts, and its
 * metadata is in off-instance-meta.ts.
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

/** Options of {@link createEc2InstanceCredentialsOffInstance}. */
export interface Ec2InstanceCredentialsOffInstanceOptions {
  /**
   * AWS's published ranges; enables the "outside AWS" evidence (GuardDuty's OutsideAWS signal).
   * Deployed, Correlate fetches them daily by default; locally, `--aws-ip-ranges FILE`.
   */
  awsIpRanges?: AwsIpRanges;
  /** Distinct instances that must share an address before it is the account's egress; default 3. */
  egressInstanceThreshold?: number;
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
  const settings = { ranges: options.awsIpRanges, threshold: egressThresholdOf(options.egressInstanceThreshold) };
  return {
    kind: 'correlating',
    meta: OFF_INSTANCE_META,
    observe: observeRecord,
    merge: mergeAggregates,
    accumulate: joinInto,
    observeInto: observeRecordInto,
    pack: packOf,
    judges: (key) => key.startsWith('instance|'),

    async judge(key, aggregate, lookup): Promise<Verdict[]> {
      if (aggregate.t !== 'i') return [];
      const [, account = '', roleArn = ''] = key.split('|');
      const evidence = await instanceEvidence(key, aggregate, lookup, settings);
      return decideInstance(aggregate, (address) => evidence.get(address)!, { roleArn, instanceId: aggregate.id }).map(
        (flag) => verdictOf(aggregate, flag, roleArn, account),
      );
    },
  };
}

/** The detector with default options (no AWS ranges: account and instance evidence only). */
export const ec2InstanceCredentialsOffInstance = createEc2InstanceCredentialsOffInstance();

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
  const agentsExact = Object.keys(aggregate.a).length < LIMITS.addresses;
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
    // Agents are compared only below the address cap: past it, an address the cap dropped and an
    // earlier call brought back keeps only the agents joined since, which depends on the order.
    const homeAgents = new Set(agentsExact ? homes.flatMap(([address]) => aggregate.a[address]?.ua ?? []) : []);
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
