import { join, relative } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SAMPLE, writeSampleTrail } from '../../cli/demo/sample-trail.ts';
import { openTrail } from '../../cli/local/trail.ts';
import { FolderTrail } from '../../functions/adapters/folder-trail.ts';
import { InvalidInputError } from '../../functions/core/errors.ts';
import type { ObjectInfo } from '../../functions/core/ports.ts';
import { tempDir } from '../helpers/local.ts';

async function keysOf(pages: AsyncIterable<ObjectInfo[]>): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of pages) keys.push(...page.map((o) => o.key));
  return keys.sort();
}

const folders = suite<{ dir: string; cleanup: () => Promise<void>; keys: string[] }>('openTrail of a folder', {
  dir: '',
  cleanup: async () => {},
  keys: [],
});

folders.before(async (context) => {
  Object.assign(context, await tempDir());
  context.keys = await writeSampleTrail(join(context.dir, 'trail'));
});

folders.after(async ({ cleanup }) => {
  await cleanup();
});

folders('a folder synced from the bucket root is read with keys as in the bucket, no prefix', async ({ dir, keys }) => {
  const trail = openTrail(join(dir, 'trail'));
  assert.instance(trail.lister, FolderTrail);
  assert.is(trail.trailPrefix, '');
  assert.is(trail.description, join(dir, 'trail'));
  assert.equal(await trail.lister.listFolders('AWSLogs/'), [`AWSLogs/${SAMPLE.account}/`]);
  const listed = await keysOf(trail.lister.listObjects(`AWSLogs/${SAMPLE.account}/CloudTrail/`));
  assert.equal(listed, [...keys].sort());
  assert.ok((await trail.reader.read(keys[0]!)).byteLength > 0);
});

folders('a relative folder is resolved against the working directory', ({ dir }) => {
  assert.is(openTrail(relative(process.cwd(), join(dir, 'trail'))).description, join(dir, 'trail'));
});

// `aws s3 sync s3://bucket/AWSLogs ./trail` drops the AWSLogs level: such a folder must show the
// bucket's keys, or Plan would find nothing and the run would succeed having audited 0 objects.
folders('a folder synced from s3://bucket/AWSLogs (no AWSLogs level) shows the same keys', async ({ dir, keys }) => {
  const trail = openTrail(join(dir, 'trail', 'AWSLogs'));
  assert.equal(await trail.lister.listFolders('AWSLogs/'), [`AWSLogs/${SAMPLE.account}/`]);
  assert.equal(await keysOf(trail.lister.listObjects(`AWSLogs/${SAMPLE.account}/CloudTrail/`)), [...keys].sort());
});

folders('a mistyped folder or a file is refused, naming the path, instead of auditing nothing', async (context) => {
  const missing = join(context.dir, 'no-such-trail');
  assert.throws(
    () => openTrail(missing),
    (error: Error) => error instanceof InvalidInputError && error.message.includes(missing),
  );
  const file = join(context.dir, 'trail', ...context.keys[0]!.split('/'));
  assert.throws(
    () => openTrail(file),
    (error: Error) => error instanceof InvalidInputError && /not a file/.test(error.message),
  );
});

folders.run();
