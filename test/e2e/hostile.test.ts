import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { summaryJson } from '../../cli/format.ts';
import { LOCAL_TABLES } from '../../cli/local/store.ts';
import { openTrail } from '../../cli/local/trail.ts';
import { queryFindings } from '../../functions/adapters/dynamodb.ts';
import { FolderTrail } from '../../functions/adapters/folder-trail.ts';
import { ObjectTooLargeError } from '../../functions/core/errors.ts';
import { BUILT_IN_DETECTORS } from '../../functions/detectors/index.ts';
import { compileSigmaYaml } from '../../functions/detectors/sigma/loader.ts';
import { HOSTILE_RANGE, writeHostileTrail } from '../helpers/hostile-trail.ts';
import { localHarness, tempDir } from '../helpers/local.ts';

// The user's own Sigma rule with a catastrophic regex runs in the same backfill.
const CATASTROPHIC = compileSigmaYaml(
  "title: Repeated A Agent\nlogsource: { product: aws, service: cloudtrail }\ndetection:\n  sel:\n    userAgent|re: '^(a+)+$'\n  condition: sel\nlevel: high\n",
  'catastrophic.yml',
);
const DETECTORS = [...BUILT_IN_DETECTORS, CATASTROPHIC];
const ids = DETECTORS.map((d) => d.meta.id);

// Written once (the 600 MB and gzip-bomb objects take seconds to make), read by both suites.
const fixture = (async () => {
  const trail = await tempDir();
  const outside = await tempDir();
  const expected = await writeHostileTrail(trail.dir, outside.dir);
  return { dir: trail.dir, expected, cleanup: async () => Promise.all([trail.cleanup(), outside.cleanup()]) };
})();

const hostile = suite('a trail with every hostile object of issue 8, in one backfill through the real state machine');

hostile(
  'the run succeeds; ordinary objects are analysed, hostile ones analysed or refused by key with a reason',
  async () => {
    const h = await localHarness();
    try {
      const { dir, expected } = await fixture;
      const trail = new FolderTrail(dir);
      const result = await h.run({ lister: trail, reader: trail, input: HOSTILE_RANGE, detectors: DETECTORS });
      assert.is(result.status, 'SUCCEEDED', JSON.stringify(result.error));
      const summary = result.summary!;
      // The catastrophic regex finished: it matched the user agent of only `a`s (1 MB), not the
      // one that ends in `!`, which a backtracking engine would never have finished.
      assert.is(summary.findings.byDetector[CATASTROPHIC.meta.id], 1);
      assert.ok(summary.complete);

      // Refused objects: each reported once, by key, with the limit it passed.
      const refused = Object.keys(expected.refused).sort();
      assert.equal(summary.failures.map((f) => f.key).sort(), refused);
      for (const failure of summary.failures) assert.match(failure.reason, expected.refused[failure.key]!, failure.key);

      // Every other object is analysed; the symbolic link is never read, only counted as skipped.
      const analysedKeys = [...expected.ordinary, ...Object.keys(expected.analysed)];
      assert.equal(summary.objects, {
        listed: analysedKeys.length + refused.length + expected.links.length,
        analyzed: analysedKeys.length,
        skipped: expected.links.length,
        failed: refused.length,
      });
      assert.is(summary.skippedRecords, expected.nonObjectRecords);
      assert.is(summary.failedRecords, 0);
      assert.is(
        summaryJson(summary, result.runId, 'backfill', result.status, result.alarms).skippedRecords,
        expected.nonObjectRecords,
      );

      // New findings == findings stored; each analysed object has its findings, repeats counted once.
      const stored = await queryFindings(
        h.store.client,
        LOCAL_TABLES.findings,
        { runId: result.runId, limit: 10_000 },
        ids,
      );
      assert.is(summary.findings.new, stored.length);
      const deletingLogs = stored.filter((f) => f.detector === 'deleting-logs');
      for (const key of expected.ordinary) assert.is(deletingLogs.filter((f) => f.objectKey === key).length, 1, key);
      for (const [key, count] of Object.entries(expected.analysed))
        assert.is(deletingLogs.filter((f) => f.objectKey === key).length, count, key);
      assert.not.ok(stored.some((f) => f.objectKey.includes('symlink')));
      assert.equal(
        stored.filter((f) => f.detector === CATASTROPHIC.meta.id).map((f) => f.objectKey.includes('userAgent1MB')),
        [true],
      );
      // Cut fields carry their flag; no item is near DynamoDB's 400 KB limit, no key near its 1 KB.
      assert.ok(stored.some((f) => f.cutFields?.includes('userAgent')));
      for (const f of stored) {
        assert.ok(Buffer.byteLength(JSON.stringify(f)) < 400 * 1024, f.id.slice(0, 80));
        for (const k of [f.id, f.principal, f.account, f.eventTime]) assert.ok(Buffer.byteLength(k) <= 1024);
      }
    } finally {
      await h.close();
    }
  },
);

hostile(
  'a trail opened at its AWSLogs folder (as the CLI allows) still refuses the 2 GiB file by its size',
  async () => {
    const { dir, expected } = await fixture;
    const huge = Object.keys(expected.refused).find((key) => key.includes('plain2GiB'))!;
    const { reader } = openTrail(join(dir, 'AWSLogs'));
    const error = await reader.read(huge, { maxBytes: 1024 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.instance(error, ObjectTooLargeError);
  },
);

hostile.run();

const memory = suite('peak memory of Analyze over the hostile trail');

memory('one Analyze over every hostile object at once stays under 1.5 GB of RSS', async () => {
  const { dir, cleanup } = await fixture;
  try {
    const script = new URL('../helpers/hostile-rss.ts', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, dir], {
      maxBuffer: 1024 * 1024,
    });
    const report = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      maxRssMb: number;
      failed: number;
      analyzed: number;
    };
    assert.ok(report.maxRssMb < 1536, `peak RSS ${report.maxRssMb} MB`);
    assert.is(report.failed, 4);
  } finally {
    await cleanup();
  }
});

memory.run();
