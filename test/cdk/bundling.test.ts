import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildApp } from '../../cdk/app.ts';
import { EXISTING_TRAIL, RULE_FILES } from './synth.ts';

const test = suite('AuditFunctions bundling (local esbuild)');

test('bundles each step as ESM with the require banner, and copies the rule files into Analyze, Correlate and Publish', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'trail-auditor-cdk-'));
  try {
    const app = new App({ outdir, context: { ...EXISTING_TRAIL, ...RULE_FILES, 'aws:cdk:enable-asset-metadata': true }, builtinCloudFormationValidation: false });
    const { stack } = buildApp(app, { nag: false });
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as { Resources: Record<string, any> };
    const steps = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    assert.is(steps.length, 4);
    for (const fn of steps) {
      const step = String(fn.Properties.Description).split(' ')[1]!;
      const asset = join(outdir, fn.Metadata['aws:asset:path']);
      const code = readFileSync(join(asset, 'index.mjs'), 'utf8');
      assert.ok(code.startsWith("import { createRequire } from 'module'; const require = createRequire(import.meta.url);"), `${step}: banner`);
      assert.is(existsSync(join(asset, 'sigma', 'aws_cloudtrail_stop_logging.yml')), step !== 'Plan', `${step}: sigma rules`);
      // Correlate applies the same suppressions to its verdicts as Analyze to its matches.
      assert.is(existsSync(join(asset, 'suppressions.yml')), step === 'Analyze' || step === 'Correlate', `${step}: suppressions`);
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});

test.run();
