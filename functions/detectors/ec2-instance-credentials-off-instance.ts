import { readFile } from 'node:fs/promises';
import { isIP, SocketAddress } from 'node:net';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { ConfigError, messageOf } from '../core/errors.ts';
import { techniqueUrl } from './mitre.ts';
import {
  FAILED_CALLS,
  type DetectorMatch,
  type DetectorStatePort,
  type Severity,
  type StatefulDetector,
} from './types.ts';

/*
 * Evidence model (see README "EC2 instance credentials off the instance").
 *
 * State keys, all per account and per detector:
 *   session#<role ARN>#<instance id>#<creationDate>  → {ip, eventTime, eventID, userAgentFamily}
 *       the first caller address seen for one IMDS-delivered session (putIfAbsent: first writer wins)
 *   egress#<account>#<address>                       → set of `<role ARN>#<instance id>`
 *       instances whose session was first seen at that address (fed only by first-address calls)
 *   egress-address#<account>#<address>               → {instances, eventTime}
 *       written once the set above reaches the threshold: the account's usual egress (NAT gateway)
 *   person-address#<account>#<address>               → {principal, eventTime, eventID}
 *       an address an IAM user's long-term (AKIA) key was used from: the organisation's own network
 */

const DETECTOR_ID = 'ec2-instance-credentials-off-instance';

/** Instances used by the same address before it counts as the account's egress (NAT gateway). */
export const DEFAULT_EGRESS_INSTANCE_THRESHOLD = 3;

// EC2 instance ids: `i-` and 8 (before 2016) or 17 lower-case hex digits.
const INSTANCE_ID = /^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
// Assumed-role ARNs carry no role path: arn:<partition>:sts::<account>:assumed-role/<role>/<session>.
const ASSUMED_ROLE_ARN = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/([^/]+)$/;

/** The published AWS address ranges (ip-ranges.json) as a matcher. */
export interface AwsIpRanges {
  /** Whether `address` (IPv4 or IPv6 text) lies in any published prefix; false for non-addresses. */
  contains(address: string): boolean;
  /** Number of prefixes loaded (before merging). */
  readonly prefixCount: number;
  /** The file's `syncToken` and `createDate`, to say which publication a finding was judged against. */
  readonly syncToken?: string;
  readonly createDate?: string;
}

/** Options of {@link createEc2InstanceCredentialsOffInstance}. */
export interface Ec2InstanceCredentialsOffInstanceOptions {
  /** AWS's published ranges; enables the "outside AWS" evidence (GuardDuty's OutsideAWS signal). */
  awsIpRanges?: AwsIpRanges;
  /** Distinct instances that must share an address before it is the account's egress; default 3. */
  egressInstanceThreshold?: number;
}

/** An IMDS-delivered EC2 instance role session, as recognised from a record's userIdentity. */
export interface InstanceSession {
  /** The account the role (and so the instance) belongs to. */
  account: string;
  /** The IAM role ARN (sessionIssuer.arn, or derived from the assumed-role ARN). */
  roleArn: string;
  instanceId: string;
  /** `sessionContext.attributes.creationDate`; credentials rotate, each session is learned anew. */
  creationDate: string;
  /** State key of the session's first-seen address. */
  key: string;
  /** `<role ARN>#<instance id>`: the member the egress sets count. */
  instance: string;
}

/** What is known about one caller address when a record is judged. */
export interface AddressEvidence {
  address: string;
  /** The account's usual egress: at least the threshold of instances were first seen from it. */
  isEgress: boolean;
  /** Instances known to share the address (0 when not counted on this path). */
  egressInstances: number;
  /** Outside AWS's published ranges; undefined when no ip-ranges.json was given. */
  outsideAws: boolean | undefined;
  /** An IAM user whose long-term access key was used from this address, if any. */
  person: string | undefined;
}

/** Everything the decision looks at for one instance-session call. */
export interface OffInstanceEvidence {
  session: Pick<InstanceSession, 'roleArn' | 'instanceId'>;
  /** The call's own address. */
  current: AddressEvidence;
  /** The session's first-seen address and the call that set it (the same object as `current` for a first-address call). */
  first: AddressEvidence & { eventTime: string; eventID: string; userAgentFamily: string };
  /** Whether the call came from the session's first-seen address. */
  isFirstAddress: boolean;
  /** User agent family of this call (first product token, lower case; '' if none). */
  userAgentFamily: string;
  /** The call's errorCode, when it failed. */
  errorCode: string | undefined;
}

/**
 * Detects EC2 instance role credentials used from somewhere other than the instance, as GuardDuty's
 * InstanceCredentialExfiltration and Netflix's 2018 method do: learn the first address each
 * IMDS-delivered session is used from, flag use from any other, and weigh extra evidence (AWS's
 * ranges, the account's egress addresses, people's addresses, the user agent) so that a thief who
 * is seen first is still caught when the evidence says so.
 */
export function createEc2InstanceCredentialsOffInstance(options: Ec2InstanceCredentialsOffInstanceOptions = {}): StatefulDetector {
  const ranges = options.awsIpRanges;
  const threshold = validThreshold(options.egressInstanceThreshold);

  // Facts learned through each state port that can no longer change (see StateMemo): judging a
  // record whose facts are all known needs no state call and no await.
  const memos = new WeakMap<DetectorStatePort, StateMemo>();
  function memoOf(state: DetectorStatePort): StateMemo {
    let memo = memos.get(state);
    if (!memo || memo.entries >= MEMO_ENTRIES) memos.set(state, (memo = { entries: 0, sessions: new Map(), addresses: new Map() }));
    return memo;
  }
  function addressMemo(memo: StateMemo, account: string, address: string): AddressMemo {
    let byAddress = memo.addresses.get(account);
    if (!byAddress) memo.addresses.set(account, (byAddress = new Map()));
    let known = byAddress.get(address);
    if (!known) {
      memo.entries++;
      known = {
        egressKey: `egress#${account}#${address}`,
        egressMarkerKey: `egress-address#${account}#${address}`,
        personKey: `person-address#${account}#${address}`,
        personStored: false,
        person: undefined,
        egressMarker: undefined,
        members: undefined,
        egressSize: 0,
        // Evidence from AWS's ranges is a pure function of the address: computed once.
        outsideAws: ranges ? !ranges.contains(address) : undefined,
      };
      byAddress.set(address, known);
    }
    return known;
  }
  function isKnownEgressMember(known: AddressMemo, instance: string): boolean {
    return known.egressMarker !== undefined && known.egressSize >= threshold && known.members !== undefined && known.members.has(instance);
  }

  /** Evidence on an address without feeding the egress count (the port has no set lookup: the marker written when the threshold was reached). */
  async function readEvidence(state: DetectorStatePort, memo: StateMemo, account: string, address: string): Promise<AddressEvidence> {
    const known = addressMemo(memo, account, address);
    let marker = known.egressMarker;
    if (marker === undefined) {
      marker = await state.get(known.egressMarkerKey);
      if (marker !== undefined) known.egressMarker = marker;
    }
    let person = known.person;
    if (!known.personStored) {
      const stored = await state.get(known.personKey);
      if (stored !== undefined) rememberPerson(known, stored);
      person = principalOf(stored);
    }
    return {
      address,
      isEgress: marker !== undefined,
      egressInstances: marker ? Number(marker.instances) || 0 : 0,
      outsideAws: known.outsideAws,
      person,
    };
  }

  async function storePerson(state: DetectorStatePort, known: AddressMemo, principal: string, eventTime: string, eventID: string): Promise<undefined> {
    rememberPerson(known, await state.putIfAbsent(known.personKey, { principal, eventTime, eventID }));
    return undefined;
  }

  /** An instance-session call; `learned` is the session's stored first-sight value when already known. */
  async function judgeSession(
    state: DetectorStatePort,
    memo: StateMemo,
    session: InstanceSession,
    address: string,
    record: CloudTrailRecord,
    family: string,
    known: Record<string, string> | undefined,
  ): Promise<DetectorMatch | undefined> {
    const eventTime = stringOr(record.eventTime, '');
    const eventID = stringOr(record.eventID, '');
    let learned = known;
    if (learned === undefined) {
      learned = await state.putIfAbsent(session.key, { ip: address, eventTime, eventID, userAgentFamily: family });
      // First writer wins: what is stored now is the session's for good.
      if (!memo.sessions.has(session.key)) memo.entries++;
      memo.sessions.set(session.key, learned);
    }
    // A stored value from an older or damaged state item may lack fields: fall back to this call.
    const firstAddress = typeof learned.ip === 'string' && learned.ip ? learned.ip : address;
    const isFirstAddress = firstAddress === address;

    let current: AddressEvidence;
    if (isFirstAddress) {
      // Evidence on the session's first address, fed to the egress count.
      const at = addressMemo(memo, session.account, address);
      let egressInstances: number;
      let isEgress: boolean;
      if (isKnownEgressMember(at, session.instance)) {
        // Adding a member the set holds and putting a marker that is stored change nothing.
        egressInstances = at.egressSize;
        isEgress = true;
      } else {
        // Only first-address calls feed the egress set: a second address is the suspicious one, and
        // letting it count would let a thief whitelist their own address.
        egressInstances = await state.addToSet(at.egressKey, session.instance);
        const members = (at.members ??= new Set());
        if (!members.has(session.instance)) {
          members.add(session.instance);
          memo.entries++;
        }
        if (egressInstances > at.egressSize) at.egressSize = egressInstances;
        isEgress = egressInstances >= threshold;
        if (isEgress && at.egressMarker === undefined) {
          at.egressMarker = await state.putIfAbsent(at.egressMarkerKey, { instances: String(egressInstances), eventTime });
        }
      }
      // The person marker only matters to a first address that is no egress and not inside AWS
      // (looksOffInstance); otherwise the verdict is no match whatever it says.
      let person: string | undefined;
      if (!isEgress && at.outsideAws !== false) {
        if (at.personStored) person = at.person;
        else {
          const stored = await state.get(at.personKey);
          if (stored !== undefined) rememberPerson(at, stored);
          person = principalOf(stored);
        }
      }
      current = { address, isEgress, egressInstances, outsideAws: at.outsideAws, person };
      // decideOffInstance's own first test, before building the rest of the evidence.
      if (!looksOffInstance(current)) return undefined;
    } else {
      current = await readEvidence(state, memo, session.account, address);
    }
    const firstEvidence = isFirstAddress ? current : await readEvidence(state, memo, session.account, firstAddress);
    return decideOffInstance({
      session,
      current,
      first: {
        ...firstEvidence,
        eventTime: stringOr(learned.eventTime, eventTime),
        eventID: stringOr(learned.eventID, eventID),
        userAgentFamily: stringOr(learned.userAgentFamily, family),
      },
      isFirstAddress,
      userAgentFamily: family,
      errorCode: typeof record.errorCode === 'string' && record.errorCode ? record.errorCode : undefined,
    });
  }

  return {
    kind: 'stateful',
    meta: {
      id: DETECTOR_ID,
      title: 'EC2 instance credentials used off the instance',
      description:
        'A call made with an EC2 instance role session (IMDS-delivered credentials, recognised by userIdentity.sessionContext.ec2RoleDelivery) from an address other than the one the session was first used from, or first used from an address that evidence says is not an instance: outside AWS\'s published ranges, or used by people\'s access keys, and not the account\'s usual egress. The workshop\'s "extra credit", done the way GuardDuty (InstanceCredentialExfiltration) and Netflix (2018) do it.',
      severity: 'high',
      mitre: { id: 'T1552.005', name: 'Unsecured Credentials: Cloud Instance Metadata API' },
      references: [
        techniqueUrl('T1552.005'),
        'https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html#unauthorizedaccess-iam-instancecredentialexfiltrationoutsideaws',
        'https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html#unauthorizedaccess-iam-instancecredentialexfiltrationinsideaws',
        'https://medium.com/netflix-techblog/netflix-cloud-security-detecting-credential-compromise-in-aws-9493d6fd373a',
        'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html',
        'https://docs.aws.amazon.com/vpc/latest/userguide/aws-ip-ranges.html',
      ],
      falsePositives: [
        'The instance\'s own address changed during a session (an Elastic IP moved or associated, a public IP added, an interface attached): every call from the new address is a finding until the credentials rotate (at most about 6 hours).',
        'An instance that reaches some endpoints over IPv6 and others over IPv4 (dual-stack endpoints) shows two addresses.',
        'Instances behind an on-premises proxy (traffic routed through Direct Connect or VPN) egress outside AWS\'s ranges: the first instances are flagged until the address has served enough instances to count as the account\'s egress; suppress a known proxy by sourceIPs.',
        'A person deliberately using an instance\'s credentials from a workstation while debugging: true off-instance use, but not theft.',
      ],
      runbook:
        'Compare sourceIPAddress with the instance\'s addresses (DescribeInstances, network interfaces, Elastic IP history in CloudTrail) and with the session\'s first address given in the reason. A failed call (AccessDenied) from another address is still an attempt to use stolen credentials: treat it like a success. If the address is not the instance\'s: revoke the role\'s active sessions (IAM console "Revoke active sessions", i.e. an AWSRevokeOlderSessions deny), require IMDSv2 (HttpTokens=required, hop limit 1) on the instance, look for SSRF or a compromised process on it, and review every call made from the address.',
      failedCalls: FAILED_CALLS.matched,
      weaknesses: [
        'Trails from before ec2RoleDelivery existed (2021) are not covered: a session named like an instance id without it is not treated as an instance session, so forged look-alike session names cannot cause findings either way.',
        'Calls through a VPC endpoint (vpcEndpointId) are skipped: they come from the VPC\'s private addresses, which do not identify the instance; stolen credentials used from another host in the same VPC via the endpoint are missed.',
        'A thief who uses the session before the instance does, from an address with no contrary evidence (no ip-ranges.json, or an AWS address; not used by people), becomes the learned address: only the instance\'s own later calls then differ. Give ip-ranges.json to catch the outside-AWS case.',
        'A thief on another instance behind the same NAT gateway shares the instance\'s address and is not seen (GuardDuty has the same blind spot).',
        'Evidence is what is known when the record is judged: an address that people use later, or that becomes an egress later, does not change earlier findings.',
      ],
    },

    // Each instance session learns from its own calls in order; sessions are independent, so
    // their state calls may overlap. Other records (people's calls, evidence) are judged first.
    orderKey(record: CloudTrailRecord): string | undefined {
      return cachedInstanceSession(record)?.key;
    },

    // Synchronous (no state call) whenever everything the verdict needs is already known; else a promise.
    detect(record: CloudTrailRecord, state: DetectorStatePort): DetectorMatch | undefined | Promise<DetectorMatch | undefined> {
      if (!record || typeof record !== 'object' || Array.isArray(record)) return undefined;
      const address = callerAddress(record);
      if (address === undefined) return undefined;
      const memo = memoOf(state);

      const person = personOf(record);
      if (person) {
        const known = addressMemo(memo, person.account, address);
        // putIfAbsent of a stored marker changes nothing.
        if (known.personStored) return undefined;
        return storePerson(state, known, person.arn, stringOr(record.eventTime, ''), stringOr(record.eventID, ''));
      }

      const session = cachedInstanceSession(record);
      if (!session) return undefined;
      const family = cachedUserAgentFamily(record.userAgent);
      const learned = memo.sessions.get(session.key);
      if (learned !== undefined) {
        const firstAddress = typeof learned.ip === 'string' && learned.ip ? learned.ip : address;
        // From its first address, at the account's known egress, with the instance counted: the
        // verdict is no match (looksOffInstance is false for an egress) and every state call would
        // be a no-op.
        if (firstAddress === address && isKnownEgressMember(addressMemo(memo, session.account, address), session.instance)) return undefined;
      }
      return judgeSession(state, memo, session, address, record, family, learned);
    },
  };
}

/** Entries a detector keeps per state port (sessions, addresses, egress members) before it starts afresh. */
const MEMO_ENTRIES = 50_000;

/**
 * What a detector has learned through one state port and can rely on for good, because the port's
 * values are first-writer-wins and set members are never removed: a session's stored first-sight
 * value, an address's person and egress markers once present, and the instances this detector
 * added to an egress set (with the largest size seen). Absence is never remembered: another writer
 * may store it at any time.
 */
interface StateMemo {
  entries: number;
  /** Session key → its stored first-sight value. */
  sessions: Map<string, Record<string, string>>;
  /** Account → address → what is known of the address. */
  addresses: Map<string, Map<string, AddressMemo>>;
}

interface AddressMemo {
  /** The address's state keys, built once. */
  egressKey: string;
  egressMarkerKey: string;
  personKey: string;
  /** The person-address marker is stored; `person` is its principal. */
  personStored: boolean;
  person: string | undefined;
  /** The egress-address marker, once stored. */
  egressMarker: Record<string, string> | undefined;
  /** Instances this detector added to the address's egress set. */
  members: Set<string> | undefined;
  /** The largest egress set size seen. */
  egressSize: number;
  /** Outside AWS's ranges; undefined without ip-ranges.json. */
  outsideAws: boolean | undefined;
}

function rememberPerson(known: AddressMemo, stored: Record<string, string>): void {
  known.personStored = true;
  known.person = principalOf(stored);
}

function principalOf(marker: Record<string, string> | undefined): string | undefined {
  return typeof marker?.principal === 'string' ? marker.principal : undefined;
}

// Parsing caches: trails repeat the same sessions and user agents on thousands of records.
const CACHE_ENTRIES = 50_000;
/** identity ARN → issuer ARN ('' if not a string) → creationDate (or `key:<access key id>`) → session, null if none. */
const sessionCache = new Map<string, Map<string, Map<string, InstanceSession | null>>>();
let sessionCacheEntries = 0;
const familyCache = new Map<string, string>();

/** {@link instanceSessionOf}, cached by everything it depends on beyond the cheap checks (shared result: do not mutate). */
function cachedInstanceSession(record: CloudTrailRecord): InstanceSession | undefined {
  const fields = imdsSessionFields(record);
  if (!fields) return undefined;
  const { arn, issuerArn, creationDate } = fields;
  let byIssuer = sessionCache.get(arn);
  if (!byIssuer) sessionCache.set(arn, (byIssuer = new Map()));
  let byCreation = byIssuer.get(issuerArn);
  if (!byCreation) byIssuer.set(issuerArn, (byCreation = new Map()));
  let session = byCreation.get(creationDate);
  if (session === undefined) {
    session = instanceSessionOf(record) ?? null;
    if (++sessionCacheEntries > CACHE_ENTRIES) {
      sessionCache.clear();
      sessionCacheEntries = 1;
      sessionCache.set(arn, new Map([[issuerArn, (byCreation = new Map())]]));
    }
    byCreation.set(creationDate, session);
  }
  return session ?? undefined;
}

/** {@link userAgentFamily}, cached by user agent. */
function cachedUserAgentFamily(userAgent: unknown): string {
  if (typeof userAgent !== 'string') return '';
  let family = familyCache.get(userAgent);
  if (family === undefined) {
    family = userAgentFamily(userAgent);
    if (familyCache.size >= CACHE_ENTRIES) familyCache.clear();
    familyCache.set(userAgent, family);
  }
  return family;
}

/** The detector with default options (no ip-ranges.json: order and account evidence only). */
export const ec2InstanceCredentialsOffInstance: StatefulDetector = createEc2InstanceCredentialsOffInstance();

/**
 * Evidence that an address is not an instance's: outside AWS's ranges (an EC2 instance always
 * reaches AWS from an AWS address, unless routed through an on-premises proxy, which the egress
 * count absorbs), or, only when AWS's ranges are unknown, used by people's access keys. Inside AWS,
 * people's keys are often used on instances (bastions, keys left on the host), so there it does
 * not count. The account's egress overrides both.
 */
function looksOffInstance(evidence: AddressEvidence): boolean {
  if (evidence.isEgress) return false;
  if (evidence.outsideAws === true) return true;
  return evidence.outsideAws === undefined && evidence.person !== undefined;
}

/**
 * The one decision: a match with a reason sentence that names the evidence, or undefined.
 * Pure, so the evidence model can be tested without state.
 *
 * - From the session's first-seen address: a finding (medium) only if the address looks off-instance
 *   (see the module's README section); order alone never makes the first address suspicious.
 * - From another address: a finding (high; medium when the address is the account's own egress),
 *   unless the first address looked off-instance and this one does not: then the thief was seen
 *   first (and flagged) and this is most likely the instance itself.
 * - A user agent family different from the first use's raises the severity one step.
 */
export function decideOffInstance(evidence: OffInstanceEvidence): DetectorMatch | undefined {
  const { current, first, session } = evidence;
  let severity: Severity;
  let title: string | undefined;
  const facts: string[] = [];

  if (evidence.isFirstAddress) {
    if (!looksOffInstance(current)) return undefined;
    severity = 'medium';
    title = 'EC2 instance credentials first used off the instance';
    facts.push(
      current.outsideAws === true
        ? `first use seen from ${current.address}, an address outside AWS and not an egress address of this account`
        : `first use seen from ${current.address}, an address people's access keys use (${current.person}) and not an egress address of this account`,
    );
    if (current.outsideAws === true && current.person !== undefined) facts.push(`people's access keys use it too (${current.person}), so it is likely the organisation's own network rather than the instance`);
  } else {
    if (looksOffInstance(first) && !looksOffInstance(current)) return undefined;
    severity = current.isEgress ? 'medium' : 'high';
    facts.push(`used from ${current.address}, not from ${first.address} where this session was first seen (${first.eventTime || 'time unknown'}${first.eventID ? `, event ${first.eventID}` : ''})`);
    if (current.outsideAws === true) facts.push(`${current.address} is outside AWS's published ranges`);
    if (current.isEgress) facts.push(`${current.address} is this account's egress (${current.egressInstances || 'several'} instances), so perhaps another host of the account or a changed route`);
    if (current.person !== undefined) facts.push(`people's access keys use ${current.address} (${current.person}): the organisation's network, not the instance`);
  }

  if (evidence.userAgentFamily && first.userAgentFamily && evidence.userAgentFamily !== first.userAgentFamily) {
    severity = raise(severity);
    facts.push(`user agent ${evidence.userAgentFamily} differs from the first use's ${first.userAgentFamily}`);
  }
  if (evidence.errorCode) facts.push(`the call failed (${evidence.errorCode}), which is still an attempt to use the credentials`);

  const who = `instance ${session.instanceId} (role ${roleName(session.roleArn)})`;
  const reason = `Credentials of ${who}: ${facts.join('; ')}.`;
  return title ? { severity, title, reason } : { severity, reason };
}

/**
 * Recognises an IMDS-delivered instance role session: AssumedRole, an `ASIA` key, a Role issuer,
 * `sessionContext.ec2RoleDelivery` present, and a session name that is an instance id. Without
 * ec2RoleDelivery a session named like an instance id (`i-deployer01`, `i-0123456789abcdef0`) is
 * anyone's AssumeRole session name, so it is not one.
 */
export function instanceSessionOf(record: CloudTrailRecord): InstanceSession | undefined {
  const fields = imdsSessionFields(record);
  if (!fields) return undefined;
  const parts = ASSUMED_ROLE_ARN.exec(fields.arn);
  if (!parts) return undefined;
  const [, partition, arnAccount, role, instanceId] = parts as unknown as [string, string, string, string, string];
  if (!INSTANCE_ID.test(instanceId)) return undefined;
  const roleArn = fields.issuerArn.startsWith('arn:') ? fields.issuerArn : `arn:${partition}:iam::${arnAccount}:role/${role}`;
  const instance = `${roleArn}#${instanceId}`;
  return { account: arnAccount, roleArn, instanceId, creationDate: fields.creationDate, key: `session#${instance}#${fields.creationDate}`, instance };
}

/**
 * The cheap checks of an IMDS-delivered session (AssumedRole, ASIA key, ec2RoleDelivery, a role
 * issuer) and the fields that identify it; the ARN is not parsed yet.
 */
function imdsSessionFields(record: CloudTrailRecord): { arn: string; issuerArn: string; creationDate: string } | undefined {
  const identity = record.userIdentity;
  if (!identity || typeof identity !== 'object') return undefined;
  if (identity.type !== 'AssumedRole') return undefined;
  if (typeof identity.accessKeyId !== 'string' || !identity.accessKeyId.startsWith('ASIA')) return undefined;
  const context = identity.sessionContext;
  if (!context || typeof context !== 'object') return undefined;
  if (typeof context.ec2RoleDelivery !== 'string' || !context.ec2RoleDelivery) return undefined;
  const issuer = context.sessionIssuer;
  if (!issuer || typeof issuer !== 'object' || issuer.type !== 'Role') return undefined;
  if (typeof identity.arn !== 'string') return undefined;
  const attributes = context.attributes;
  const creation = attributes && typeof attributes === 'object' && typeof attributes.creationDate === 'string' ? attributes.creationDate : '';
  // Without a creationDate the temporary key id still identifies the session.
  return { arn: identity.arn, issuerArn: typeof issuer.arn === 'string' ? issuer.arn : '', creationDate: creation || `key:${identity.accessKeyId}` };
}

/**
 * The first product token of a user agent, lower case: `aws-cli` for `aws-cli/2.15.0 Python/3.11`,
 * `boto3` for `Boto3/1.34 md/Botocore#1.34`; '' when absent.
 */
export function userAgentFamily(userAgent: unknown): string {
  if (typeof userAgent !== 'string') return '';
  const token = userAgent.trim().replace(/^\[/, '').split(/[\s/]/, 1)[0] ?? '';
  return token.toLowerCase();
}

/**
 * The caller's own network address in canonical form, or undefined when the record does not show
 * one: an AWS service acting for the principal (`invokedBy`, a `*.amazonaws.com` source or
 * `AWS Internal`), a call through a VPC endpoint (a private VPC address that does not identify the
 * instance), or anything that is not an IP address.
 */
export function callerAddress(record: CloudTrailRecord): string | undefined {
  const identity = record.userIdentity;
  if (identity && typeof identity === 'object' && typeof identity.invokedBy === 'string' && identity.invokedBy) return undefined;
  if (typeof record.vpcEndpointId === 'string' && record.vpcEndpointId) return undefined;
  const source = record.sourceIPAddress;
  if (typeof source !== 'string' || source === 'AWS Internal' || source.endsWith('.amazonaws.com')) return undefined;
  return canonicalAddress(source);
}

// Trails repeat the same few thousand addresses millions of times: parse each once.
const canonicalCache = new Map<string, string | undefined>();
const CANONICAL_CACHE_ENTRIES = 100_000;

/** An IP address in one spelling (IPv6 compressed lower case; IPv4-mapped IPv6 as IPv4), else undefined. */
export function canonicalAddress(text: string): string | undefined {
  const cached = canonicalCache.get(text);
  if (cached !== undefined || canonicalCache.has(text)) return cached;
  const canonical = parseCanonical(text);
  if (canonicalCache.size >= CANONICAL_CACHE_ENTRIES) canonicalCache.clear();
  canonicalCache.set(text, canonical);
  return canonical;
}

function parseCanonical(text: string): string | undefined {
  const parsed = parseAddress(text);
  if (!parsed) return undefined;
  if (parsed.version === 4) {
    const v = parsed.value;
    return [24n, 16n, 8n, 0n].map((shift) => String((v >> shift) & 0xffn)).join('.');
  }
  try {
    return new SocketAddress({ address: text, family: 'ipv6' }).address;
  } catch {
    return undefined;
  }
}

function personOf(record: CloudTrailRecord): { arn: string; account: string } | undefined {
  const identity = record.userIdentity;
  if (!identity || typeof identity !== 'object' || identity.type !== 'IAMUser') return undefined;
  if (typeof identity.accessKeyId !== 'string' || !identity.accessKeyId.startsWith('AKIA')) return undefined;
  if (typeof identity.arn !== 'string' || !identity.arn) return undefined;
  const account = typeof identity.accountId === 'string' && identity.accountId ? identity.accountId : record.recipientAccountId;
  if (typeof account !== 'string' || !account) return undefined;
  return { arn: identity.arn, account };
}

function roleName(roleArn: string): string {
  const slash = roleArn.lastIndexOf('/');
  return slash === -1 ? roleArn : roleArn.slice(slash + 1);
}

function raise(severity: Severity): Severity {
  return severity === 'info' ? 'low' : severity === 'low' ? 'medium' : severity === 'medium' ? 'high' : 'critical';
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function validThreshold(value: number | undefined): number {
  if (value === undefined) return DEFAULT_EGRESS_INSTANCE_THRESHOLD;
  if (!Number.isInteger(value) || value < 2) throw new ConfigError(`egressInstanceThreshold must be an integer >= 2, got ${String(value)}`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// AWS ip-ranges.json. node:net BlockList would do the matching, but it checks its rules one by one
// (about 0.2 ms a lookup with the ~12,000 published prefixes), so the prefixes are merged into
// sorted, disjoint ranges and looked up by binary search. BlockList is the reference in the tests.

/** Reads AWS's published ip-ranges.json (https://ip-ranges.amazonaws.com/ip-ranges.json). */
export async function loadAwsIpRanges(path: string): Promise<AwsIpRanges> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${path}: cannot read AWS ip ranges (${messageOf(error)})`, { cause: error });
  }
  return parseAwsIpRanges(text, path);
}

/**
 * Parses the text of ip-ranges.json: `{prefixes: [{ip_prefix, region, service}], ipv6_prefixes:
 * [{ipv6_prefix, ...}]}`. Every service's prefixes are kept (AMAZON is their union, but the file
 * does not promise it). Throws {@link ConfigError} naming the file and the bad entry.
 */
export function parseAwsIpRanges(text: string, file = 'ip-ranges.json'): AwsIpRanges {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file}: invalid JSON (${messageOf(error)})`, { cause: error });
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`${file}: not an ip-ranges.json object`);
  const { prefixes, ipv6_prefixes: ipv6Prefixes, syncToken, createDate } = doc as Record<string, unknown>;
  if (!Array.isArray(prefixes)) throw new ConfigError(`${file}: no "prefixes" array`);
  if (ipv6Prefixes !== undefined && !Array.isArray(ipv6Prefixes)) throw new ConfigError(`${file}: "ipv6_prefixes" is not an array`);

  const v4: Array<[bigint, bigint]> = [];
  const v6: Array<[bigint, bigint]> = [];
  const add = (entries: unknown[], field: string, version: 4 | 6) => {
    entries.forEach((entry, index) => {
      const cidr = entry && typeof entry === 'object' ? (entry as Record<string, unknown>)[field] : undefined;
      const range = typeof cidr === 'string' ? cidrRange(cidr) : undefined;
      if (!range || range.version !== version) {
        throw new ConfigError(`${file}: ${field} of entry ${index} is not an IPv${version} CIDR (${JSON.stringify(cidr)})`);
      }
      (version === 4 ? v4 : v6).push([range.start, range.end]);
    });
  };
  add(prefixes, 'ip_prefix', 4);
  add(ipv6Prefixes ?? [], 'ipv6_prefix', 6);
  const matcher = new RangeSet(v4, v6);
  return {
    contains: (address: string) => matcher.contains(address),
    prefixCount: v4.length + v6.length,
    ...(typeof syncToken === 'string' ? { syncToken } : {}),
    ...(typeof createDate === 'string' ? { createDate } : {}),
  };
}

/** Sorted, disjoint, inclusive ranges per family; lookups are a binary search. */
class RangeSet {
  private readonly v4: { starts: bigint[]; ends: bigint[] };
  private readonly v6: { starts: bigint[]; ends: bigint[] };

  constructor(v4: Array<[bigint, bigint]>, v6: Array<[bigint, bigint]>) {
    this.v4 = RangeSet.merge(v4);
    this.v6 = RangeSet.merge(v6);
  }

  contains(address: string): boolean {
    const parsed = parseAddress(address);
    if (!parsed) return false;
    const { starts, ends } = parsed.version === 4 ? this.v4 : this.v6;
    // Last range whose start <= value.
    let low = 0;
    let high = starts.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (starts[middle]! <= parsed.value) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found !== -1 && parsed.value <= ends[found]!;
  }

  private static merge(ranges: Array<[bigint, bigint]>): { starts: bigint[]; ends: bigint[] } {
    const sorted = [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const starts: bigint[] = [];
    const ends: bigint[] = [];
    for (const [start, end] of sorted) {
      const last = ends.length - 1;
      // Overlapping or adjacent ranges merge, so the binary search needs only the last start <= value.
      if (last >= 0 && start <= ends[last]! + 1n) {
        if (end > ends[last]!) ends[last] = end;
      } else {
        starts.push(start);
        ends.push(end);
      }
    }
    return { starts, ends };
  }
}

/** An address as a number: IPv4 in 32 bits, IPv6 in 128 (IPv4-mapped IPv6 counts as IPv4). */
function parseAddress(text: string): { version: 4 | 6; value: bigint } | undefined {
  const family = isIP(text);
  if (family === 4) return { version: 4, value: ipv4Value(text) };
  if (family !== 6 || text.includes('%')) return undefined;
  const value = ipv6Value(text);
  if (value === undefined) return undefined;
  if (value >> 32n === 0xffffn) return { version: 4, value: value & 0xffffffffn };
  return { version: 6, value };
}

function ipv4Value(text: string): bigint {
  // isIP has already checked four decimal octets of at most 255.
  return text.split('.').reduce((sum, octet) => (sum << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6Value(text: string): bigint | undefined {
  // isIP has checked the syntax; this expands `::` and a trailing dotted IPv4 part into eight
  // 16-bit groups, and still refuses anything that does not add up to exactly eight.
  let groupsText = text;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    if (isIP(last) !== 4) return undefined;
    const v4 = ipv4Value(last);
    tail.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    groupsText = text.slice(0, lastColon + 1); // keeps a `::` intact, else drop the separator
    if (!groupsText.endsWith('::')) groupsText = groupsText.slice(0, -1);
  }
  const halves = groupsText.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((group) => (/^[0-9a-f]{1,4}$/i.test(group) ? Number.parseInt(group, 16) : Number.NaN));
  let all: number[];
  if (halves.length === 1) {
    all = [...parse(halves[0]!), ...tail];
    if (all.length !== 8) return undefined;
  } else {
    const left = parse(halves[0]!);
    const right = [...parse(halves[1]!), ...tail];
    const missing = 8 - left.length - right.length;
    if (missing < 1) return undefined;
    all = [...left, ...Array<number>(missing).fill(0), ...right];
  }
  if (all.some((group) => Number.isNaN(group))) return undefined;
  return all.reduce((sum, group) => (sum << 16n) | BigInt(group), 0n);
}

/** A CIDR as an inclusive numeric range; undefined if malformed. Host bits are masked off. */
function cidrRange(cidr: string): { version: 4 | 6; start: bigint; end: bigint } | undefined {
  const slash = cidr.indexOf('/');
  if (slash === -1) return undefined;
  const address = cidr.slice(0, slash);
  const lengthText = cidr.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText)) return undefined;
  const length = Number(lengthText);
  const family = isIP(address);
  if (family === 0 || address.includes('%')) return undefined;
  const bits = family === 4 ? 32 : 128;
  if (length > bits) return undefined;
  const value = family === 4 ? ipv4Value(address) : ipv6Value(address);
  if (value === undefined) return undefined;
  const hostBits = BigInt(bits - length);
  const start = (value >> hostBits) << hostBits;
  return { version: family === 4 ? 4 : 6, start, end: start + (1n << hostBits) - 1n };
}
