import { mkdir, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FolderTrail } from '../../functions/adapters/folder-trail.ts';
import { LogObjectError, ObjectTooLargeError } from '../../functions/core/errors.ts';
import type { ObjectInfo } from '../../functions/core/ports.ts';
import { tempDir } from '../helpers/local.ts';

const ACCOUNT_ROOT = 'AWSLogs/123456789012/CloudTrail/';
const DAY = `${ACCOUNT_ROOT}us-east-1/2017/11/28/`;
const FILES = {
  first: `${DAY}123456789012_CloudTrail_us-east-1_20171128T1905Z_A1b2C3d4E5f6G7h8.json.gz`,
  second: `${DAY}123456789012_CloudTrail_us-east-1_20171128T1910Z_Q9w8E7r6T5y4U3i2.json.gz`,
  otherRegion: `${ACCOUNT_ROOT}us-west-2/2017/11/28/123456789012_CloudTrail_us-west-2_20171128T1915Z_Z1x2C3v4B5n6M7a8.json.gz`,
  digest:
    'AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2017/11/28/123456789012_CloudTrail-Digest_us-east-1_t_us-east-1_20171128T192000Z.json.gz',
};
const MTIMES: Record<string, Date> = {
  [FILES.first]: new Date('2017-11-28T19:05:30Z'),
  [FILES.second]: new Date('2017-11-28T19:10:30Z'),
  [FILES.otherRegion]: new Date('2017-11-28T19:15:30Z'),
  [FILES.digest]: new Date('2017-11-28T19:20:00Z'),
};

async function collect(pages: AsyncIterable<ObjectInfo[]>): Promise<ObjectInfo[][]> {
  const all: ObjectInfo[][] = [];
  for await (const page of pages) all.push(page);
  return all;
}

const byKey = (a: ObjectInfo, b: ObjectInfo) => a.key.localeCompare(b.key);

const folder = suite<{ dir: string; cleanup: () => Promise<void>; bodies: Map<string, Buffer> }>('FolderTrail', {
  dir: '',
  cleanup: async () => {},
  bodies: new Map(),
});

folder.before(async (context) => {
  Object.assign(context, await tempDir());
  for (const [key, mtime] of Object.entries(MTIMES)) {
    // As `aws s3 sync` leaves it: the object's path under the folder, its LastModified as mtime.
    const path = join(context.dir, ...key.split('/'));
    const body = gzipSync(JSON.stringify({ Records: [{ eventID: key, sourceIPAddress: '192.0.2.10' }] }));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, body);
    await utimes(path, mtime, mtime);
    context.bodies.set(key, body);
  }
});

folder.after(async ({ cleanup }) => {
  await cleanup();
});

folder(
  'lists every file under a folder prefix with / keys, sizes and mtime as LastModified',
  async ({ dir, bodies }) => {
    const objects = (await collect(new FolderTrail(dir).listObjects(ACCOUNT_ROOT))).flat().sort(byKey);
    assert.equal(
      objects,
      [FILES.first, FILES.second, FILES.otherRegion].map((key) => ({
        key,
        size: bodies.get(key)!.byteLength,
        lastModified: MTIMES[key],
      })),
    );
  },
);

folder(
  'lists from the root with an empty prefix, digests included (Plan skips them, not the lister)',
  async ({ dir }) => {
    const keys = (await collect(new FolderTrail(dir).listObjects('')))
      .flat()
      .map((o) => o.key)
      .sort();
    assert.equal(keys, Object.values(FILES).sort());
  },
);

folder('a prefix without its trailing slash lists the same folder', async ({ dir }) => {
  const withSlash = (await collect(new FolderTrail(dir).listObjects(DAY))).flat().sort(byKey);
  const without = (await collect(new FolderTrail(dir).listObjects(DAY.slice(0, -1)))).flat().sort(byKey);
  assert.equal(without, withSlash);
  assert.equal(
    withSlash.map((o) => o.key),
    [FILES.first, FILES.second],
  );
});

folder('a prefix that does not exist yields nothing', async ({ dir }) => {
  assert.equal(await collect(new FolderTrail(dir).listObjects(`${ACCOUNT_ROOT}eu-west-1/`)), []);
  assert.equal(await collect(new FolderTrail(join(dir, 'no-such-folder')).listObjects('')), []);
});

folder('listFolders gives the immediate sub-folders, sorted, each ending in /', async ({ dir }) => {
  const trail = new FolderTrail(dir);
  assert.equal(await trail.listFolders('AWSLogs/'), ['AWSLogs/123456789012/']);
  assert.equal(await trail.listFolders('AWSLogs/123456789012/'), [
    'AWSLogs/123456789012/CloudTrail-Digest/',
    'AWSLogs/123456789012/CloudTrail/',
  ]);
  assert.equal(await trail.listFolders(ACCOUNT_ROOT), [`${ACCOUNT_ROOT}us-east-1/`, `${ACCOUNT_ROOT}us-west-2/`]);
  assert.equal(await trail.listFolders(''), ['AWSLogs/']);
});

folder('listFolders of a day folder (files only) or a missing folder is empty', async ({ dir }) => {
  const trail = new FolderTrail(dir);
  assert.equal(await trail.listFolders(DAY), []);
  assert.equal(await trail.listFolders('AWSLogs/999999999999/'), []);
});

folder('read returns the file bytes by key', async ({ dir, bodies }) => {
  const bytes = await new FolderTrail(dir).read(FILES.second);
  assert.ok(Buffer.from(bytes).equals(bodies.get(FILES.second)!));
});

folder('reading a missing key throws', async ({ dir }) => {
  try {
    await new FolderTrail(dir).read(`${DAY}missing.json.gz`);
    assert.unreachable('read of a missing key resolved');
  } catch (error) {
    assert.is((error as NodeJS.ErrnoException).code, 'ENOENT');
    assert.match((error as Error).message, 'missing.json.gz');
  }
});

folder('pages hold at most 1000 objects', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const day = join(dir, ...DAY.split('/'));
    await mkdir(day, { recursive: true });
    await Promise.all(
      Array.from({ length: 1001 }, (_, i) => writeFile(join(day, `${String(i).padStart(4, '0')}.json.gz`), 'x')),
    );
    const pages = await collect(new FolderTrail(dir).listObjects(DAY));
    assert.equal(
      pages.map((p) => p.length),
      [1000, 1],
    );
    assert.is(new Set(pages.flat().map((o) => o.key)).size, 1001);
  } finally {
    await cleanup();
  }
});

folder('refuses a file over maxBytes by its size, before reading it (a sparse 3 GiB file)', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const path = join(dir, ...FILES.first.split('/'));
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, '{');
    await truncate(path, 3 * 1024 ** 3);
    const error = await new FolderTrail(dir).read(FILES.first, { maxBytes: 64 * 1024 * 1024 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.instance(error, ObjectTooLargeError);
    assert.match((error as LogObjectError).reason, 'is 3072 MB, over the 64 MB limit');
  } finally {
    await cleanup();
  }
});

folder('never follows a symlink: linked files and folders are listed as skipped "symlink" and not read', async () => {
  const { dir, cleanup } = await tempDir();
  const outside = await tempDir();
  try {
    const trail = join(dir, 'trail');
    const day = join(trail, ...DAY.split('/'));
    await mkdir(day, { recursive: true });
    await writeFile(join(day, 'real.json.gz'), gzipSync('{"Records":[]}'));
    // A secret outside the trail, reached through a file link, a folder link and a linked day folder.
    await writeFile(join(outside.dir, 'secret.json.gz'), gzipSync('{"Records":[]}'));
    await symlink(join(outside.dir, 'secret.json.gz'), join(day, 'linked-file.json.gz'));
    await symlink(outside.dir, join(day, 'linked-folder'));
    const otherDay = `${ACCOUNT_ROOT}us-east-1/2017/11/29`;
    await symlink(outside.dir, join(trail, ...otherDay.split('/')));
    const folderTrail = new FolderTrail(trail);
    const listed = (await collect(folderTrail.listObjects(DAY))).flat().sort(byKey);
    assert.equal(
      listed.map((o) => [o.key.replace(DAY, ''), o.skip ?? 'file']),
      [
        ['linked-file.json.gz', 'symlink'],
        ['linked-folder', 'symlink'],
        ['real.json.gz', 'file'],
      ],
    );
    // A prefix Plan builds from dates, that is itself a link: one skipped entry, nothing inside read.
    assert.equal(
      (await collect(folderTrail.listObjects(`${otherDay}/`))).flat().map((o) => [o.key, o.skip]),
      [[otherDay, 'symlink']],
    );
    assert.equal(await folderTrail.listFolders(`${otherDay}/`), []);
    for (const key of [
      `${DAY}linked-file.json.gz`,
      `${DAY}linked-folder/secret.json.gz`,
      `${otherDay}/secret.json.gz`,
    ]) {
      const error = await folderTrail.read(key).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.instance(error, LogObjectError, key);
      assert.match((error as LogObjectError).reason, 'symbolic link');
    }
  } finally {
    await cleanup();
    await outside.cleanup();
  }
});

folder.run();
