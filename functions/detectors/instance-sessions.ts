import { canonicalAddress, isPrivateAddress } from '../core/addresses.ts';
import type { CloudTrailRecord } from '../core/cloudtrail.ts';

/*
 * Recognising EC2 instance role sessions and where a call came from: the parsing half of the
 * off-instance detector (ec2-instance-credentials-off-instance.ts holds the decision).
 */

// The workshop's pattern, case-insensitive: anonymised datasets (Stratus Red Team detonations)
// scramble instance ids into mixed case. Bounded, so a forged session name cannot grow a key.
const INSTANCE_ID = /^i-[a-zA-Z0-9]{8,32}$/;
// Assumed-role ARNs carry no role path: arn:<partition>:sts::<account>:assumed-role/<role>/<session>.
const ASSUMED_ROLE_ARN = /^arn:(aws[a-z-]{0,16}):sts::(\d{12}):assumed-role\/([^/]{1,128})\/([^/]{1,64})$/;
const MAX_ARN = 512;

/** An IMDS-delivered EC2 instance role session, as recognised from a record's userIdentity. */
export interface InstanceSession {
  /** The account the role (and so the instance) belongs to. */
  account: string;
  /** The IAM role ARN (sessionIssuer.arn, or derived from the assumed-role ARN). */
  roleArn: string;
  /** The instance id as the record spells it. */
  instanceId: string;
  /** `sessionContext.attributes.creationDate`; credentials rotate, each rotation is a session. */
  creationDate: string;
  /** The correlation key of the instance: account, role and instance id (lower case). */
  key: string;
}

/**
 * Recognises an IMDS-delivered instance role session: AssumedRole, an `ASIA` key, a Role issuer,
 * `sessionContext.ec2RoleDelivery` present, and a session name shaped like an instance id.
 * Without ec2RoleDelivery a session named like an instance id (`i-deployer01`) is anyone's
 * AssumeRole session name, so it is not one.
 */
export function instanceSessionOf(record: CloudTrailRecord): InstanceSession | undefined {
  const identity = record?.userIdentity;
  if (!identity || typeof identity !== 'object') return undefined;
  if (identity.type !== 'AssumedRole') return undefined;
  if (
    typeof identity.accessKeyId !== 'string' ||
    !identity.accessKeyId.startsWith('ASIA') ||
    identity.accessKeyId.length > 128
  )
    return undefined;
  const context = identity.sessionContext;
  if (!context || typeof context !== 'object') return undefined;
  if (typeof context.ec2RoleDelivery !== 'string' || !context.ec2RoleDelivery) return undefined;
  const issuer = context.sessionIssuer;
  if (!issuer || typeof issuer !== 'object' || issuer.type !== 'Role') return undefined;
  if (typeof identity.arn !== 'string' || identity.arn.length > MAX_ARN) return undefined;
  const parts = ASSUMED_ROLE_ARN.exec(identity.arn);
  if (!parts) return undefined;
  const [, partition, account, role, instanceId] = parts as unknown as [string, string, string, string, string];
  if (!INSTANCE_ID.test(instanceId)) return undefined;
  const issuerArn =
    typeof issuer.arn === 'string' && issuer.arn.startsWith('arn:') && issuer.arn.length <= MAX_ARN ? issuer.arn : '';
  const roleArn = issuerArn || `arn:${partition}:iam::${account}:role/${role}`;
  const attributes = context.attributes;
  const raw = attributes && typeof attributes === 'object' ? attributes.creationDate : undefined;
  // A time, never free text: it becomes a key of the aggregate's map (`__proto__` must not).
  const creation = typeof raw === 'string' && /^[0-9A-Za-z:.+-]{1,40}$/.test(raw) ? raw : '';
  // Without a creationDate the temporary key id still identifies the session.
  const creationDate = creation || `key:${identity.accessKeyId}`;
  return { account, roleArn, instanceId, creationDate, key: instanceKey(account, roleArn, instanceId) };
}

/** The correlation key of one instance (its sessions are judged together). */
export function instanceKey(account: string, roleArn: string, instanceId: string): string {
  return `instance|${account}|${roleArn}|${instanceId.toLowerCase()}`;
}

/** Where a call came from, as the off-instance detector weighs it. */
export type CallOrigin =
  /** Through one of the account's VPC endpoints, or from a private address: the instance's network. */
  | { kind: 'home'; marker: string }
  /** A public address (canonical), or another account's VPC endpoint (`vpce:<id>@<account>`). */
  | { kind: 'public'; address: string; foreign: boolean };

/**
 * Where a call came from, or undefined when the record does not show the caller: an AWS service
 * acting for the principal (`invokedBy`, a `*.amazonaws.com` source, `AWS Internal`) or a source
 * that is not an IP address.
 */
export function callOrigin(record: CloudTrailRecord, account: string): CallOrigin | undefined {
  const identity = record.userIdentity;
  if (identity && typeof identity === 'object' && typeof identity.invokedBy === 'string' && identity.invokedBy)
    return undefined;
  const endpoint = record.vpcEndpointId;
  if (typeof endpoint === 'string' && /^vpce-[0-9a-zA-Z]{1,32}$/.test(endpoint)) {
    const owner = record.vpcEndpointAccountId;
    // Newer records name the endpoint's account: a call through somebody else's endpoint is not home.
    if (typeof owner === 'string' && /^\d{12}$/.test(owner) && owner !== account)
      return { kind: 'public', address: `vpce:${endpoint}@${owner}`, foreign: true };
    return { kind: 'home', marker: `vpce:${endpoint}` };
  }
  const source = record.sourceIPAddress;
  if (typeof source !== 'string' || source === 'AWS Internal' || source.endsWith('.amazonaws.com')) return undefined;
  const address = canonicalAddress(source);
  if (address === undefined) return undefined;
  if (isPrivateAddress(address)) return { kind: 'home', marker: 'private' };
  return { kind: 'public', address, foreign: false };
}

/** An IAM user's call with a long-term (AKIA) key: the user's ARN and account. */
export function personOf(record: CloudTrailRecord): { arn: string; account: string } | undefined {
  const identity = record?.userIdentity;
  if (!identity || typeof identity !== 'object' || identity.type !== 'IAMUser') return undefined;
  if (typeof identity.accessKeyId !== 'string' || !identity.accessKeyId.startsWith('AKIA')) return undefined;
  if (typeof identity.arn !== 'string' || !identity.arn || identity.arn.length > MAX_ARN) return undefined;
  const account =
    typeof identity.accountId === 'string' && identity.accountId ? identity.accountId : record.recipientAccountId;
  if (typeof account !== 'string' || !/^\d{12}$/.test(account)) return undefined;
  return { arn: identity.arn, account };
}

/**
 * The first product token of a user agent, lower case, at most 32 characters: `aws-cli` for
 * `aws-cli/2.15.0 Python/3.11`, `boto3` for `Boto3/1.34 md/Botocore#1.34`; '' when absent.
 */
export function userAgentFamily(userAgent: unknown): string {
  if (typeof userAgent !== 'string') return '';
  const token = userAgent.slice(0, 256).trim().replace(/^\[/, '').split(/[\s/]/, 1)[0] ?? '';
  return token.toLowerCase().slice(0, 32);
}
