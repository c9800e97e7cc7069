import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { REPO_ROOT, stackConfigFromContext, unknownContextKeys } from '../../cdk/config.ts';
import { checkRuleFiles } from '../../cdk/rule-files.ts';
import { ConfigError } from '../../functions/core/errors.ts';
import { CDK_JSON_CONTEXT, EXISTING_TRAIL, RULE_FILES } from './synth.ts';

const TMP = mkdtempSync(join(tmpdir(), 'trail-auditor-rules-'));
process.on('exit', () => rmSync(TMP, { recursive: true, force: true }));

const BAD_SUPPRESSIONS = join(TMP, 'bad-suppressions.yml');
writeFileSync(
  BAD_SUPPRESSIONS,
  'suppressions:\n  - id: no-reason\n    detector: deleting-logs\n    principals: [root]\n',
);
const BAD_SIGMA = join(TMP, 'bad-sigma');
mkdirSync(BAD_SIGMA);
writeFileSync(
  join(BAD_SIGMA, 'unsupported.yml'),
  [
    'title: Uses a modifier the engine does not implement',
    'id: 6f0e1d7a-2b4c-4d8e-9a1b-3c5d7e9f1a2b',
    'logsource: { product: aws, service: cloudtrail }',
    'detection:',
    '  selection:',
    '    sourceIPAddress|cidr: 203.0.113.0/24',
    '    eventName|base64offset|contains: StopLogging',
    '  condition: selection',
    'level: high',
  ].join('\n'),
);

const config = (context: Record<string, unknown>) =>
  stackConfigFromContext((key) => ({ ...EXISTING_TRAIL, ...context })[key]);

async function rejection(context: Record<string, unknown>): Promise<string> {
  try {
    await checkRuleFiles(config(context));
  } catch (error) {
    assert.instance(error, ConfigError);
    return (error as Error).message;
  }
  throw new Error('checkRuleFiles accepted the rule files');
}

const rules = suite('checkRuleFiles');

rules('the fixtures load: valid rules synthesize', async () => {
  await checkRuleFiles(config(RULE_FILES));
});

rules('an invalid suppression file fails naming the key, the file and the reason', async () => {
  const message = await rejection({ suppressionsFile: BAD_SUPPRESSIONS });
  assert.ok(message.startsWith(`suppressionsFile: ${BAD_SUPPRESSIONS}: `), message);
  assert.match(message, /reason/);
});

rules(
  'a Sigma rule with a modifier the engine refuses fails naming the key, the rule file and the modifier',
  async () => {
    const message = await rejection({ sigmaRulesDir: BAD_SIGMA });
    assert.ok(message.startsWith(`sigmaRulesDir: ${join(BAD_SIGMA, 'unsupported.yml')}: `), message);
    assert.match(message, /modifier/);
  },
);

rules('a detectorAlarms id that is neither built in nor a Sigma rule fails once the rules are known', async () => {
  const message = await rejection({ ...RULE_FILES, detectorAlarms: 'deleting-logs,not-a-rule' });
  assert.match(message, /^detectorAlarms: not-a-rule is neither a built-in detector nor a rule in /);
});

rules.run();

// ---------------------------------------------------------------------------------------------
const keys = suite('unknownContextKeys');

keys('warns on keys the app does not read, with the nearest known key; CDK keys and feature flags pass', () => {
  assert.equal(
    unknownContextKeys({
      ...CDK_JSON_CONTEXT,
      'aws:cdk:bundling-stacks': [],
      'acknowledged-issue-numbers': [1],
      scheduleMinutes: 5,
      mapConcurrency: 4,
    }),
    [],
  );
  assert.equal(unknownContextKeys({ scheduleMinute: 5, bananas: 1 }), [
    'context key "bananas" is not used by trail-auditor; it is ignored',
    'context key "scheduleMinute" is not used by trail-auditor (did you mean scheduleMinutes?); it is ignored',
  ]);
});

keys.run();

// ---------------------------------------------------------------------------------------------
// The app as `cdk synth` runs it (the CLI passes cdk.json's context and -c keys in CDK_CONTEXT_JSON).
// Bundling is skipped: what is checked here happens before it.

function app(context: Record<string, unknown>): Promise<{ code: number | null; stderr: string }> {
  const env = {
    ...process.env,
    CDK_OUTDIR: mkdtempSync(join(TMP, 'out-')),
    CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context }),
  };
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'cdk/app.ts'],
      { cwd: REPO_ROOT, env, timeout: 120_000 },
      (error, _stdout, stderr) => {
        done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr });
      },
    );
  });
}

const entry = suite('cdk/app.ts (the synth entry point)');

entry('warns on a misspelt -c key, synthesizes, and says in one line that cdk-nag found nothing', async () => {
  const run = await app({ ...EXISTING_TRAIL, scheduleMinute: '5' });
  assert.is(run.code, 0, run.stderr);
  assert.equal(run.stderr.trimEnd().split('\n'), [
    'trail-auditor: warning: context key "scheduleMinute" is not used by trail-auditor (did you mean scheduleMinutes?); it is ignored',
    'trail-auditor: cdk-nag (AwsSolutions) checked the stack: nothing to report',
  ]);
});

entry('an invalid suppression file fails the synth with one line and exit 1', async () => {
  const run = await app({ ...EXISTING_TRAIL, suppressionsFile: BAD_SUPPRESSIONS });
  assert.is(run.code, 1);
  assert.is(run.stderr.trimEnd().split('\n').length, 1, run.stderr);
  assert.ok(run.stderr.startsWith(`trail-auditor: suppressionsFile: ${BAD_SUPPRESSIONS}: `), run.stderr);
});

entry.run();
