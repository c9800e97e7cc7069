import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { countCorpus, ensureCorpus } from '../../bench/corpus.ts';
import { tempDir } from '../helpers/local.ts';

const ensure = suite('ensureCorpus');

ensure('refuses a folder that exists without its manifest, and writes nothing into it', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const trail = join(dir, 'trail');
    await mkdir(join(trail, 'AWSLogs'), { recursive: true });
    await writeFile(join(trail, 'mine.txt'), 'a user file');
    try {
      await ensureCorpus(trail, 0.01);
      assert.unreachable('it generated into an existing folder');
    } catch (error) {
      assert.match((error as Error).message, 'not the bench');
    }
    assert.equal(readdirSync(trail).sort(), ['AWSLogs', 'mine.txt']);
    assert.equal(readdirSync(join(trail, 'AWSLogs')), []);
    // Nothing left beside it either.
    assert.equal(readdirSync(dir), ['trail']);
  } finally {
    await cleanup();
  }
});

ensure('generates into a new folder of its own, with a manifest, and reuses it on the next call', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const corpus = join(dir, 'nested', '0.02mb');
    const first = await ensureCorpus(corpus, 0.02);
    assert.ok(first.files > 0 && first.records >= first.files);
    const manifest = JSON.parse(await readFile(join(corpus, 'corpus.json'), 'utf8')) as { files: number; dir: string };
    assert.is(manifest.files, first.files);
    assert.is(manifest.dir, corpus);
    assert.equal(readdirSync(join(dir, 'nested')), ['0.02mb']);
    const again = await ensureCorpus(corpus, 0.02);
    assert.equal(again, manifest);
  } finally {
    await cleanup();
  }
});

ensure.run();

const count = suite('countCorpus');

count('counts the log files of both key layouts and leaves out digests and other files', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const files = {
      'AWSLogs/123456789012/CloudTrail/us-east-1/2017/11/28/123456789012_CloudTrail_us-east-1_20171128T1905Z_abc.json.gz': 10,
      'prefix/AWSLogs/o-aa11bb22cc/123456789012/CloudTrail/eu-west-1/2017/11/28/123456789012_CloudTrail_eu-west-1_20171128T1910Z_def.json.gz': 30,
      'AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2017/11/28/123456789012_CloudTrail-Digest_us-east-1_t_us-east-1_20171128T192000Z.json.gz': 5,
      'AWSLogs/123456789012/notes.json.gz': 7,
    };
    for (const [key, size] of Object.entries(files)) {
      await mkdir(join(dir, key, '..'), { recursive: true });
      await writeFile(join(dir, key), Buffer.alloc(size));
    }
    const counted = await countCorpus(dir);
    assert.equal(counted.keys, Object.keys(files).slice(0, 2).sort());
    assert.is(counted.gzipBytes, 40);
    assert.is(counted.largestGzipBytes, 30);
    assert.is(counted.generated, undefined);
    assert.ok(existsSync(join(dir, 'AWSLogs')));
  } finally {
    await cleanup();
  }
});

count.run();
