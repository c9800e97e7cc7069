import { apiCallDetector, at, itemsOf, label, objectsOf, stringAt, type Verdict } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** Who EC2 permission items grant to: account ids, organization / OU ARNs, or the public group `all`. */
function ec2Grantees(permission: unknown): string[] {
  return objectsOf(itemsOf(at(permission, 'add')))
    .map((item) => stringAt(item, 'userId') ?? stringAt(item, 'group') ?? stringAt(item, 'organizationArn') ?? stringAt(item, 'organizationalUnitArn'))
    .filter((grantee): grantee is string => grantee !== undefined);
}

/** A share of `what` with `grantees`; critical when `all` (public) is among them. */
function share(call: string, what: string, grantees: string[]): Verdict | undefined {
  if (grantees.length === 0) return undefined;
  const isPublic = grantees.includes('all');
  return {
    reason: `${call} requested sharing ${what} with ${isPublic ? 'everyone (all)' : grantees.slice(0, 10).join(', ')}.`,
    severity: isPublic ? 'critical' : 'high',
  };
}

/** An AMI, EBS snapshot or RDS snapshot shared with another account or made public. */
export const amiOrSnapshotShared = apiCallDetector(
  {
    id: 'ami-or-snapshot-shared',
    title: 'AMI or snapshot shared',
    description:
      'EC2 ModifyImageAttribute adding a launch permission, ModifySnapshotAttribute adding a create-volume permission, or RDS ModifyDBSnapshotAttribute / ModifyDBClusterSnapshotAttribute adding restore rights: another account (high) or everyone (critical) can now copy the disk or database. A quiet way to take data out.',
    severity: 'high',
    mitre: { id: 'T1537', name: 'Transfer Data to Cloud Account' },
    references: [
      'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyImageAttribute.html',
      'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifySnapshotAttribute.html',
      'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBSnapshotAttribute.html',
      techniqueUrl('T1537'),
    ],
    falsePositives: ['Sharing golden AMIs or backup snapshots with accounts of the same organisation (check the grantees against your account list).'],
    runbook:
      'Check the grantee account ids against your organisation\'s accounts. For an unknown or public grantee, remove the permission at once (ModifyImageAttribute / ModifySnapshotAttribute remove, ModifyDBSnapshotAttribute valuesToRemove), assume the data was copied, and review the principal\'s other calls.',
    failedCalls: FAILED_CALLS.lowerSeverity,
  },
  {
    'ec2.amazonaws.com': ['ModifyImageAttribute', 'ModifySnapshotAttribute'],
    'rds.amazonaws.com': ['ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute'],
  },
  (params, record) => {
    const call = String(record.eventName);
    if (call === 'ModifyImageAttribute') return share(call, label('image', stringAt(params, 'imageId')), ec2Grantees(params?.launchPermission));
    if (call === 'ModifySnapshotAttribute') return share(call, label('snapshot', stringAt(params, 'snapshotId')), ec2Grantees(params?.createVolumePermission));
    if (params?.attributeName !== 'restore' || !Array.isArray(params.valuesToAdd)) return undefined;
    const grantees = params.valuesToAdd.filter((value): value is string => typeof value === 'string' && value !== '');
    const id = stringAt(params, 'dBSnapshotIdentifier') ?? stringAt(params, 'dBClusterSnapshotIdentifier');
    return share(call, label('DB snapshot', id), grantees);
  },
);
