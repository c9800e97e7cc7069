import { apiCallDetector, at, itemsOf, label, objectsOf, stringAt, type Json, type Verdict } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** Options: accounts (and organization / OU ARNs) images and snapshots may be shared with without a finding. */
export interface ShareOptions {
  allowedAccounts?: readonly string[];
}

/**
 * Who EC2 permission items add: account ids, organization / OU ARNs, or the public group `all`
 * (`group` in the API, `groups` in some CloudTrail records). Only the `add` list counts: the
 * `remove` list takes access away. The flat API form (operationType add, userIds, groupNames) is
 * read too.
 */
function ec2Grantees(params: Json | undefined, field: string): string[] {
  const items = objectsOf(itemsOf(at(params?.[field], 'add')));
  const grantees = items.map(
    (item) =>
      stringAt(item, 'userId') ??
      stringAt(item, 'group') ??
      stringAt(item, 'groups') ??
      stringAt(item, 'organizationArn') ??
      stringAt(item, 'organizationalUnitArn'),
  );
  if (String(params?.operationType ?? '').toLowerCase() === 'add') {
    for (const key of ['userIds', 'userId', 'groupNames', 'userGroups']) grantees.push(...flatValues(params?.[key]));
  }
  return grantees.filter((grantee): grantee is string => grantee !== undefined);
}

/** Strings of a flat list: a string, an array, or EC2's `{ items: [{ value }] }` wrapper. */
function flatValues(value: unknown): string[] {
  if (typeof value === 'string') return value ? [value] : [];
  return itemsOf(value)
    .map((entry) =>
      typeof entry === 'string'
        ? entry
        : (stringAt(entry, 'value') ?? stringAt(entry, 'userId') ?? stringAt(entry, 'group')),
    )
    .filter((entry): entry is string => entry !== undefined && entry !== '');
}

/** A share of `what` with the grantees outside the owner and the allow-list; critical when `all` (public) is among them. */
function share(
  call: string,
  what: string,
  grantees: string[],
  own: string | undefined,
  allowed: ReadonlySet<string>,
): Verdict | undefined {
  const outside = [...new Set(grantees)].filter(
    (grantee) => grantee === 'all' || (grantee !== own && !allowed.has(grantee)),
  );
  if (outside.length === 0) return undefined;
  const isPublic = outside.includes('all');
  return {
    reason: `${call} requested sharing ${what} with ${isPublic ? 'everyone (all)' : outside.slice(0, 10).join(', ')}.`,
    severity: isPublic ? 'critical' : 'high',
  };
}

/** An AMI, EBS snapshot or RDS snapshot shared with another account or made public. */
export function createAmiOrSnapshotShared(options: ShareOptions = {}) {
  const allowed = new Set(options.allowedAccounts ?? []);
  return apiCallDetector(
    {
      id: 'ami-or-snapshot-shared',
      title: 'AMI or snapshot shared',
      description:
        'EC2 ModifyImageAttribute adding a launch permission, ModifySnapshotAttribute adding a create-volume permission, or RDS ModifyDBSnapshotAttribute / ModifyDBClusterSnapshotAttribute adding restore rights: another account (high) or everyone (critical) can now copy the disk or database. A quiet way to take data out. Only added permissions count, and only for everyone (all) or accounts other than the owner and the allow-list (allowedAccounts: your organisation); removing permissions is not a finding.',
      severity: 'high',
      mitre: { id: 'T1537', name: 'Transfer Data to Cloud Account' },
      references: [
        'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyImageAttribute.html',
        'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifySnapshotAttribute.html',
        'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBSnapshotAttribute.html',
        techniqueUrl('T1537'),
      ],
      falsePositives: [
        'Sharing golden AMIs or backup snapshots with accounts of the same organisation (check the grantees against your account list).',
      ],
      runbook:
        "Check the grantee account ids against your organisation's accounts. For an unknown or public grantee, remove the permission at once (ModifyImageAttribute / ModifySnapshotAttribute remove, ModifyDBSnapshotAttribute valuesToRemove), assume the data was copied, and review the principal's other calls.",
      failedCalls: FAILED_CALLS.lowerSeverity,
      weaknesses: [
        'Organization and OU ARNs are compared with the allow-list as written; an OU of your own organisation must be listed.',
      ],
      stratus: [
        'aws.exfiltration.ec2-share-ami',
        'aws.exfiltration.ec2-share-ebs-snapshot',
        'aws.exfiltration.rds-share-snapshot',
      ],
    },
    {
      'ec2.amazonaws.com': ['ModifyImageAttribute', 'ModifySnapshotAttribute'],
      'rds.amazonaws.com': ['ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute'],
    },
    (params, record) => {
      const call = String(record.eventName);
      const own = typeof record.recipientAccountId === 'string' ? record.recipientAccountId : undefined;
      if (call === 'ModifyImageAttribute')
        return share(
          call,
          label('image', stringAt(params, 'imageId')),
          ec2Grantees(params, 'launchPermission'),
          own,
          allowed,
        );
      if (call === 'ModifySnapshotAttribute') {
        return share(
          call,
          label('snapshot', stringAt(params, 'snapshotId')),
          ec2Grantees(params, 'createVolumePermission'),
          own,
          allowed,
        );
      }
      if (params?.attributeName !== 'restore' || !Array.isArray(params.valuesToAdd)) return undefined;
      const grantees = params.valuesToAdd.filter((value): value is string => typeof value === 'string' && value !== '');
      const id = stringAt(params, 'dBSnapshotIdentifier') ?? stringAt(params, 'dBClusterSnapshotIdentifier');
      return share(call, label('DB snapshot', id), grantees, own, allowed);
    },
  );
}

export const amiOrSnapshotShared = createAmiOrSnapshotShared();
