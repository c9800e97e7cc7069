import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildApp } from '../../cdk/app.ts';
import { REPO_ROOT } from '../../cdk/config.ts';
import { CDK_JSON_CONTEXT, EXISTING_TRAIL, RULE_FILES } from './synth.ts';

const test = suite('AuditFunctions bundling (local esbuild)');

test('bundles each step as ESM with the require banner, and copies rule files (paths holding $(...) without running it) into Analyze, Correlate and Publish', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'trail-auditor-cdk-'));
  // Rule file paths come from context. A shell would run these command substitutions (in the
  // bundler's working folder, the repository root, or in this test's folder).
  const marker = `pwned-${process.pid}-${Date.now()}`;
  const hostile = mkdtempSync(join(tmpdir(), 'trail-auditor-rules-'));
  const sigmaRulesDir = join(hostile, `sigma $(touch ${marker}) \`touch ${marker}-b\``);
  const suppressionsFile = join(hostile, `supp$(touch ${marker}-c).yml`);
  cpSync(join(REPO_ROOT, RULE_FILES.sigmaRulesDir), sigmaRulesDir, { recursive: true });
  cpSync(join(REPO_ROOT, RULE_FILES.suppressionsFile), suppressionsFile);
  try {
    const context = {
      ...CDK_JSON_CONTEXT,
      ...EXISTING_TRAIL,
      sigmaRulesDir,
      suppressionsFile,
      'aws:cdk:enable-asset-metadata': true,
    };
    const app = new App({ outdir, context, builtinCloudFormationValidation: false });
    const { stack } = buildApp(app, { nag: false });
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as { Resources: Record<string, any> };
    const steps = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    assert.is(steps.length, 4);
    for (const fn of steps) {
      const step = String(fn.Properties.Description).split(' ')[1]!;
      const asset = join(outdir, fn.Metadata['aws:asset:path']);
      const code = readFileSync(join(asset, 'index.mjs'), 'utf8');
      assert.ok(
        code.startsWith("import { createRequire } from 'module'; const require = createRequire(import.meta.url);"),
        `${step}: banner`,
      );
      assert.is(
        existsSync(join(asset, 'sigma', 'aws_cloudtrail_stop_logging.yml')),
        step !== 'Plan',
        `${step}: sigma rules`,
      );
      // Correlate applies the same suppressions to its verdicts as Analyze to its matches.
      assert.is(
        existsSync(join(asset, 'suppressions.yml')),
        step === 'Analyze' || step === 'Correlate',
        `${step}: suppressions`,
      );
    }
    for (const folder of [REPO_ROOT, process.cwd(), hostile, outdir]) {
      for (const name of [marker, `${marker}-b`, `${marker}-c`])
        assert.not.ok(existsSync(join(folder, name)), `${join(folder, name)} was created: a shell ran the path`);
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
    rmSync(hostile, { recursive: true, force: true });
  }
});

test.run();
