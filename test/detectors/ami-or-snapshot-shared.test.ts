import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { amiOrSnapshotShared, createAmiOrSnapshotShared } from '../../functions/detectors/ami-or-snapshot-shared.ts';
import { aCall, aFailed } from '../helpers/records.ts';

const test = suite('ami-or-snapshot-shared');
const shareImage = (items: unknown[], action = 'add') =>
  aCall('ec2', 'ModifyImageAttribute', {
    imageId: 'ami-0abc',
    launchPermission: { [action]: { items } },
    attributeType: 'launchPermission',
  });

test('matches an AMI shared with another account', () => {
  assert.equal(amiOrSnapshotShared.detect(shareImage([{ userId: '999988887777' }])), {
    reason: "ModifyImageAttribute requested sharing image 'ami-0abc' with 999988887777.",
  });
});

test('raises an AMI made public to critical', () => {
  assert.equal(amiOrSnapshotShared.detect(shareImage([{ group: 'all' }])), {
    severity: 'critical',
    reason: "ModifyImageAttribute requested sharing image 'ami-0abc' with everyone (all).",
  });
});

test('ignores removing launch permissions', () => {
  assert.is(amiOrSnapshotShared.detect(shareImage([{ userId: '999988887777' }], 'remove')), undefined);
});

test('matches an EBS snapshot shared through createVolumePermission', () => {
  const record = aCall('ec2', 'ModifySnapshotAttribute', {
    snapshotId: 'snap-0abc',
    createVolumePermission: { add: { items: [{ userId: '999988887777' }] } },
    attributeType: 'CREATE_VOLUME_PERMISSION',
  });
  assert.match(amiOrSnapshotShared.detect(record)?.reason ?? '', "snapshot 'snap-0abc' with 999988887777");
});

test('matches an RDS snapshot restore permission, public at critical', () => {
  const record = aCall('rds', 'ModifyDBSnapshotAttribute', {
    dBSnapshotIdentifier: 'prod-db',
    attributeName: 'restore',
    valuesToAdd: ['all'],
  });
  assert.is(amiOrSnapshotShared.detect(record)?.severity, 'critical');
});

test('ignores RDS snapshot attribute calls that only remove values', () => {
  const record = aCall('rds', 'ModifyDBSnapshotAttribute', {
    dBSnapshotIdentifier: 'prod-db',
    attributeName: 'restore',
    valuesToRemove: ['999988887777'],
  });
  assert.is(amiOrSnapshotShared.detect(record), undefined);
});

test('reports a failed share one step lower than its severity', () => {
  const match = amiOrSnapshotShared.detect(aFailed(shareImage([{ group: 'all' }])));
  assert.is(match?.severity, 'high');
  assert.is(match?.title, 'AMI or snapshot shared (failed attempt)');
});

test('ignores other image attributes and DescribeImages', () => {
  assert.is(
    amiOrSnapshotShared.detect(
      aCall('ec2', 'ModifyImageAttribute', { imageId: 'ami-0abc', description: { value: 'x' } }),
    ),
    undefined,
  );
  assert.is(amiOrSnapshotShared.detect(aCall('ec2', 'DescribeImages')), undefined);
});

const shareSnapshot = (createVolumePermission: unknown, extra: Record<string, unknown> = {}) =>
  aCall('ec2', 'ModifySnapshotAttribute', {
    snapshotId: 'snap-0abc',
    attributeType: 'CREATE_VOLUME_PERMISSION',
    createVolumePermission,
    ...extra,
  });

test('raises a snapshot made public in the documented {"groups":"all"} form to critical', () => {
  assert.is(amiOrSnapshotShared.detect(shareSnapshot({ add: { items: [{ groups: 'all' }] } }))?.severity, 'critical');
});

test('ignores the removal form, structured or flat', () => {
  assert.is(amiOrSnapshotShared.detect(shareSnapshot({ remove: { items: [{ userId: '999988887777' }] } })), undefined);
  assert.is(
    amiOrSnapshotShared.detect(shareSnapshot(undefined, { operationType: 'remove', userIds: ['999988887777'] })),
    undefined,
  );
});

test('matches the flat add form', () => {
  assert.match(
    amiOrSnapshotShared.detect(shareSnapshot(undefined, { operationType: 'add', userIds: ['999988887777'] }))?.reason ??
      '',
    'with 999988887777',
  );
});

test('ignores shares with the owner account or accounts on the allow-list', () => {
  const tuned = createAmiOrSnapshotShared({ allowedAccounts: ['111122223333'] });
  assert.is(tuned.detect(shareSnapshot({ add: { items: [{ userId: '111122223333' }] } })), undefined);
  assert.is(amiOrSnapshotShared.detect(shareSnapshot({ add: { items: [{ userId: '123456789012' }] } })), undefined);
  assert.match(
    tuned.detect(shareSnapshot({ add: { items: [{ userId: '111122223333' }, { userId: '999988887777' }] } }))?.reason ??
      '',
    'with 999988887777.',
  );
});

test.run();
