import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SAMPLE, writeSampleTrail } from '../../cli/demo/sample-trail.ts';
import { buildLogKey } from '../../functions/core/trail-keys.ts';
import { aRecord } from '../helpers/records.ts';

// The package as a user installs it: `npm pack` in the clone, then `npm install -g` of the
// tarball into a prefix of its own, and the command run from a folder outside the repository.
// Dependencies come from the npm cache that `npm ci` filled, so this costs seconds, not a download.

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const TMP = mkdtempSync(join(tmpdir(), 'trail-auditor-pack-'));
process.on('exit', () => rmSync(TMP, { recursive: true, force: true }));
const PREFIX = join(TMP, 'prefix');
const OUTSIDE = join(TMP, 'elsewhere');
const COMMAND = join(PREFIX, 'bin', 'trail-auditor');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], cwd: string, timeout = 180_000): Promise<Run> {
  // No endpoint overrides from another test file, and npm's own output kept quiet.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_update_notifier: 'false',
  };
  for (const name of [
    'AWS_ENDPOINT_URL',
    'AWS_ENDPOINT_URL_S3',
    'AWS_ENDPOINT_URL_DYNAMODB',
    'AWS_ENDPOINT_URL_CLOUDWATCH',
  ])
    delete env[name];
  return new Promise((done) => {
    execFile(file, args, { cwd, env, timeout, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

/** Packs the clone and installs the tarball globally into PREFIX, once for every test. */
let installed: Promise<{ tarball: string; files: string[] }> | undefined;
function install() {
  installed ??= (async () => {
    mkdirSync(OUTSIDE, { recursive: true });
    const packed = await run('npm', ['pack', '--json', '--pack-destination', TMP], ROOT);
    assert.is(packed.code, 0, packed.stderr);
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as {
      filename: string;
      files: { path: string }[];
    }[];
    const tarball = join(TMP, info!.filename);
    const added = await run('npm', ['install', '-g', '--prefix', PREFIX, '--prefer-offline', tarball], OUTSIDE);
    assert.is(added.code, 0, added.stderr);
    return { tarball, files: info!.files.map((f) => f.path) };
  })();
  return installed;
}

const pack = suite('npm pack + npm install -g of the tarball');

pack('the tarball holds the compiled CLI and worker, the state machine, and no TypeScript sources', async () => {
  const { files } = await install();
  for (const path of [
    'cli/bin.js',
    'dist/cli/main.js',
    'dist/cli/analyze-worker.js',
    'statemachine/audit.asl.json',
    'package.json',
  ]) {
    assert.ok(files.includes(path), `${path} is not in the package: ${files.join(', ')}`);
  }
  assert.equal(
    files.filter((path) => path.endsWith('.ts')),
    [],
  );
});

pack('the installed command prints its help outside the repository, with no TypeScript loader installed', async () => {
  await install();
  const help = await run(COMMAND, ['--help'], OUTSIDE);
  assert.is(help.code, 0, help.stderr);
  assert.match(help.stdout, 'Usage: trail-auditor');
  assert.is(help.stderr, '');
  // Only `dependencies` are installed: the command must not need the dev-only tsx.
  assert.not.ok(existsSync(join(PREFIX, 'lib', 'node_modules', 'trail-auditor', 'node_modules', 'tsx')));
});

pack('the installed command audits a folder in worker threads and stores the findings', async () => {
  await install();
  const trail = join(OUTSIDE, 'trail');
  await writeSampleTrail(trail);
  // 200 more small files: more than one work item (200 objects each locally), so the pool runs.
  for (let i = 0; i < 200; i++) {
    const stamp = new Date(Date.parse(SAMPLE.from) + 1000 * i);
    const key = buildLogKey(
      { trailPrefix: '', account: SAMPLE.account },
      SAMPLE.region,
      stamp,
      `pack${String(i).padStart(12, '0')}`,
    );
    const path = join(trail, ...key.split('/'));
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(
      path,
      gzipSync(JSON.stringify({ Records: [aRecord({ eventTime: stamp.toISOString().replace('.000', '') })] })),
    );
  }
  const audit = await run(
    COMMAND,
    [
      'audit',
      '--trail',
      trail,
      '--store',
      join(OUTSIDE, 'store'),
      '--from',
      SAMPLE.from,
      '--to',
      SAMPLE.to,
      '--threads',
      '2',
      '--json',
    ],
    OUTSIDE,
  );
  assert.is(audit.code, 0, audit.stderr);
  const summary = JSON.parse(audit.stdout.trimEnd().split('\n').at(-1)!) as {
    status: string;
    objects: { analyzed: number };
    findings: { new: number; byDetector: Record<string, number> };
  };
  assert.is(summary.status, 'SUCCEEDED');
  assert.is(summary.objects.analyzed, 204);
  assert.ok((summary.findings.byDetector['cloudtrail-logging-stopped'] ?? 0) >= 1, JSON.stringify(summary.findings));
});

pack.run();
