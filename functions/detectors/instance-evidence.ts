import type { AwsIpRanges } from '../core/addresses.ts';
import type { AggregateLookup } from '../core/correlation.ts';
import { ConfigError } from '../core/errors.ts';
import {
  evidenceKey,
  type InstanceAggregate,
  type OffInstanceAggregate,
  type SessionEntry,
} from './instance-aggregate.ts';

/*
 * What the off-instance detector knows about an address when it judges an instance: AWS's
 * published ranges, people's long-term keys, and whether the address is the account's egress (a
 * NAT gateway several instances start their sessions at). Read through the correlation stage's
 * lookup; the decision itself is in ec2-instance-credentials-off-instance.ts.
 */

/** Instances that must start their public calls at an address before it is the account's egress (NAT gateway). */
export const DEFAULT_EGRESS_INSTANCE_THRESHOLD = 3;

/** What the evidence is weighed against: the detector's options, validated. */
export interface EvidenceSettings {
  /** AWS's published ranges, when known (fetched daily when deployed; `--aws-ip-ranges` locally). */
  ranges: AwsIpRanges | undefined;
  /** Distinct instances that must share an address before it is the account's egress. */
  threshold: number;
}

/** What is known about one public address of an instance when it is judged. */
export interface AddressEvidence {
  address: string;
  /** Outside AWS's published ranges; undefined when the ranges are not known. */
  outsideAws: boolean | undefined;
  /** An IAM user whose long-term access key was used from the address, if any. */
  person: string | undefined;
  /** Instances of the account that start a session's public calls at the address (counted up to a cap). */
  egressInstances: number;
  isEgress: boolean;
  /** Another account's VPC endpoint (`vpce:<id>@<account>`), not an address. */
  foreignEndpoint: boolean;
}

/**
 * The evidence on every public address of the instance under `key` (an `instance|` key), read
 * in sorted order so the lookups do not depend on the order the aggregate was built in.
 */
export async function instanceEvidence(
  key: string,
  aggregate: InstanceAggregate,
  lookup: AggregateLookup<OffInstanceAggregate>,
  settings: EvidenceSettings,
): Promise<Map<string, AddressEvidence>> {
  const [, account = '', roleArn = ''] = key.split('|');
  const selfRef = `${roleArn}|${key.slice(key.lastIndexOf('|') + 1)}`;
  const addresses = new Set(Object.values(aggregate.s).flatMap((session) => Object.keys(session.p)));
  const evidence = new Map<string, AddressEvidence>();
  for (const address of [...addresses].sort())
    evidence.set(address, await addressEvidence(account, address, aggregate, selfRef, lookup, settings));
  return evidence;
}

async function addressEvidence(
  account: string,
  address: string,
  self: InstanceAggregate,
  selfRef: string,
  lookup: AggregateLookup<OffInstanceAggregate>,
  { ranges, threshold }: EvidenceSettings,
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

/** The public address a session first called from (ties by address), if any. */
export function earliestPublic(session: SessionEntry): string | undefined {
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
 * The egress threshold option, validated: an integer of at least 2 (one instance alone never
 * makes an address the account's egress).
 *
 * @throws {ConfigError}
 */
export function egressThresholdOf(value: number | undefined): number {
  if (value === undefined) return DEFAULT_EGRESS_INSTANCE_THRESHOLD;
  if (!Number.isInteger(value) || value < 2)
    throw new ConfigError(`egressInstanceThreshold must be an integer >= 2, got ${String(value)}`);
  return value;
}
