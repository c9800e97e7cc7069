import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureCorpus } from '../../bench/corpus.ts';
import { tempDir } from '../helpers/local.ts';

const run = promisify(execFile);
const writes = suite('correlation state writes');

// The README promises well under 1,000 state writes per million events: Analyze writes one item
// per pack of correlation keys per work item, never one per record or per principal. Measured
// here on a 10 MB corpus of the bench's shape (instances and agents calling all day), by the
// bench's own Analyze + Correlate over the in-memory store, which counts writes as DynamoDB would.
writes('a corpus shaped like real accounts costs fewer than 1,000 state writes per million events', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const corpus = join(dir, '10mb');
    await ensureCorpus(corpus, 10);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/measure.ts', 'analyze', corpus], {
      maxBuffer: 1 << 20,
    });
    const figures = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      records: number;
      stateWrites: number;
      findings: number;
    };
    assert.ok(figures.records > 90_000, `${figures.records} records`);
    const perMillion = (figures.stateWrites / figures.records) * 1e6;
    assert.ok(perMillion < 1000, `${Math.round(perMillion)} state writes per million events`);
    assert.ok(figures.findings > 0, "the corpus's attacks are still found");
  } finally {
    await cleanup();
  }
});

writes.run();
