import type { FieldUse } from './matcher.ts';

/**
 * The fields of a CloudTrail record of a management, data or network activity event, from AWS's
 * "CloudTrail record contents for management, data, and network activity events" (CloudTrail User
 * Guide, event version 1.11) and "CloudTrail userIdentity element". `object` fields hold a map or a
 * list of maps; `free` fields are service-defined below their name (any path under them may exist).
 */
const TOP_LEVEL: Readonly<Record<string, 'scalar' | 'object' | 'free'>> = {
  eventTime: 'scalar',
  eventVersion: 'scalar',
  userIdentity: 'object',
  eventSource: 'scalar',
  eventName: 'scalar',
  awsRegion: 'scalar',
  sourceIPAddress: 'scalar',
  userAgent: 'scalar',
  errorCode: 'scalar',
  errorMessage: 'scalar',
  requestParameters: 'free',
  responseElements: 'free',
  additionalEventData: 'free',
  requestID: 'scalar',
  eventID: 'scalar',
  eventType: 'scalar',
  apiVersion: 'scalar',
  managementEvent: 'scalar',
  readOnly: 'scalar',
  resources: 'free',
  recipientAccountId: 'scalar',
  serviceEventDetails: 'free',
  sharedEventID: 'scalar',
  vpcEndpointId: 'scalar',
  vpcEndpointAccountId: 'scalar',
  eventCategory: 'scalar',
  addendum: 'free',
  sessionCredentialFromConsole: 'scalar',
  edgeDeviceDetails: 'free',
  tlsDetails: 'free',
  eventContext: 'free',
};

/** `userIdentity` and the paths below it that CloudTrail writes. */
const USER_IDENTITY: Readonly<Record<string, 'scalar' | 'object' | 'free'>> = {
  type: 'scalar',
  principalId: 'scalar',
  arn: 'scalar',
  accountId: 'scalar',
  accessKeyId: 'scalar',
  userName: 'scalar',
  invokedBy: 'scalar',
  identityProvider: 'scalar',
  credentialId: 'scalar',
  sessionContext: 'free',
  onBehalfOf: 'free',
  inScopeOf: 'free',
};

/** A rule that loads but whose selection can never match as written, and why. */
export interface SigmaWarning {
  file: string;
  /** The rule's detector id. */
  rule: string;
  field: string;
  reason: string;
}

/**
 * Why a field, as a selection reads it, can never match a CloudTrail record, or undefined when
 * it can. Checks the path against the documented record contents (names are case-sensitive) and
 * that a string pattern is not aimed at a map (`requestParameters|contains: x`).
 */
export function fieldProblem(use: FieldUse): string | undefined {
  const [top = '', ...rest] = use.field.split('.');
  const kind = TOP_LEVEL[top];
  if (kind === undefined) {
    const near = Object.keys(TOP_LEVEL).find((name) => name.toLowerCase() === top.toLowerCase());
    return near
      ? `CloudTrail records have no field '${top}' (field names are case-sensitive: '${near}')`
      : `CloudTrail records have no field '${top}'`;
  }
  if (rest.length === 0) {
    if (kind !== 'scalar' && use.stringMatch) {
      return `'${top}' is an object in CloudTrail records: a string value or modifier never matches it; name a field inside it`;
    }
    return undefined;
  }
  if (kind === 'scalar') return `'${top}' is a single value in CloudTrail records: it has no field '${rest.join('.')}'`;
  if (top !== 'userIdentity') return undefined;
  const [second = '', ...deeper] = rest;
  const inner = USER_IDENTITY[second];
  if (inner === undefined) return `CloudTrail's userIdentity has no field '${second}'`;
  if (deeper.length === 0 && inner !== 'scalar' && use.stringMatch) {
    return `'userIdentity.${second}' is an object in CloudTrail records: a string value or modifier never matches it`;
  }
  if (deeper.length > 0 && inner === 'scalar')
    return `'userIdentity.${second}' is a single value: it has no field '${deeper.join('.')}'`;
  return undefined;
}

/** One warning per field of a rule that can never match, in the order the selections read them. */
export function fieldWarnings(file: string, rule: string, uses: readonly FieldUse[]): SigmaWarning[] {
  const warnings: SigmaWarning[] = [];
  const seen = new Set<string>();
  for (const use of uses) {
    const reason = fieldProblem(use);
    if (!reason || seen.has(use.field)) continue;
    seen.add(use.field);
    warnings.push({ file, rule, field: use.field, reason: `${reason} (selection '${use.selection}')` });
  }
  return warnings;
}
