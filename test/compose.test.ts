import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { awsStep, loadRuleSet } from '../functions/compose.ts';
import { ConfigError, RuleLoadError } from '../functions/core/errors.ts';
import { tempDir } from './helpers/local.ts';

const DEPLOYED = {
  STATE_TABLE: 'state',
  FINDINGS_TABLE: 'findings',
  TRAIL_BUCKET: 'trail-bucket',
  AWS_REGION: 'us-east-1',
};

const rules = suite('loadRuleSet');

rules('refuses a suppression that names a detector that does not exist, with the file and the id', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const file = join(dir, 'suppressions.yml');
    await writeFile(
      file,
      'suppressions:\n  - id: typo\n    detector: deleting-log\n    all: true\n    reason: expected\n',
    );
    const error = await loadRuleSet({ suppressionsFile: file }).catch((e: unknown) => e);
    assert.instance(error, RuleLoadError);
    assert.match(String((error as Error).message), file);
    assert.match(String((error as Error).message), 'unknown detector "deleting-log"');
  } finally {
    await cleanup();
  }
});

rules('accepts a suppression of a Sigma rule loaded with it', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await mkdir(join(dir, 'sigma'));
    await writeFile(
      join(dir, 'sigma', 'stop.yml'),
      'title: Trail stopped\nid: 5c3b2a10-0000-4000-8000-000000000001\nlogsource: { product: aws, service: cloudtrail }\ndetection:\n  sel:\n    eventName: StopLogging\n  condition: sel\nlevel: high\n',
    );
    const loaded = await loadRuleSet({ sigmaDir: join(dir, 'sigma') });
    const sigmaId = loaded.detectors.at(-1)!.meta.id;
    const file = join(dir, 'suppressions.yml');
    await writeFile(
      file,
      `suppressions:\n  - id: quiet\n    detector: ${sigmaId}\n    all: true\n    reason: expected\n`,
    );
    const withSuppressions = await loadRuleSet({ sigmaDir: join(dir, 'sigma'), suppressionsFile: file });
    assert.ok(withSuppressions.suppressor);
  } finally {
    await cleanup();
  }
});

rules.run();

const deployed = suite('awsStep');

deployed('fails fast naming the variable a step needs', async () => {
  const { FINDINGS_TABLE: _, ...withoutFindings } = DEPLOYED;
  const error = await awsStep('Analyze', withoutFindings).catch((e: unknown) => e);
  assert.instance(error, ConfigError);
  assert.match(String((error as Error).message), 'FINDINGS_TABLE');
  // Plan has no findings table and needs none.
  assert.type(await awsStep('Plan', withoutFindings), 'function');
});

deployed('a Lambda with a suppression file naming an unknown detector fails its cold start, naming it', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const file = join(dir, 'suppressions.yml');
    await writeFile(
      file,
      'suppressions:\n  - id: typo\n    detector: cloudtrail-loging-stopped\n    all: true\n    reason: expected\n',
    );
    const error = await awsStep('Analyze', { ...DEPLOYED, SUPPRESSIONS_FILE: file }).catch((e: unknown) => e);
    assert.instance(error, RuleLoadError);
    assert.match(String((error as Error).message), 'unknown detector "cloudtrail-loging-stopped"');
  } finally {
    await cleanup();
  }
});

deployed.run();
