import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildApp } from '../../cdk/app.ts';
import { EXISTING_TRAIL, RULE_FILES, synth, testApp } from './synth.ts';

const VARIANTS: Record<string, Record<string, unknown>> = {
  default: EXISTING_TRAIL,
  'TrailBucketName parameter': {},
  'TrailBucketName parameter, prefix and KMS': {
    trailPrefix: 'org',
    trailKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  },
  createTrail: { createTrail: true },
  demoActivity: { createTrail: true, demoActivity: true },
  'everything on': {
    ...EXISTING_TRAIL,
    trailPrefix: 'org',
    trailKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    customerManagedKey: true,
    notificationEmail: 'secops@example.com',
    ...RULE_FILES,
    findingsTtlDays: 365,
    demoActivity: true,
  },
};

const test = suite('AwsSolutionsChecks');

for (const [name, context] of Object.entries(VARIANTS)) {
  test(`${name}: no unacknowledged error or warning`, () => {
    const { app } = synth(context);
    const report = new AwsSolutionsChecks().validateScope(app);
    const found = report.violations.map(
      (v) =>
        `${v.severity} ${v.ruleName}: ${v.description} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    assert.equal(found, []);
  });
}

test('the app registers cdk-nag as a validation plugin, and synth passes with it', () => {
  const app = testApp(VARIANTS.demoActivity!);
  buildApp(app);
  assert.not.throws(() => app.synth());
});

test('the IAM5 acknowledgement of the parameter variant names the Ref-based object ARN', () => {
  const { app } = synth(VARIANTS['TrailBucketName parameter']!);
  const ids = app.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.keys(entry.data as object)),
    );
  // Keys are stored as "Annotation::<id>"; the variants above check that nag actually matches it.
  assert.ok(
    ids.some((id) => id.endsWith('AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::<TrailBucketName>/AWSLogs/*]')),
    ids.join('\n'),
  );
});

test('every acknowledgement has a real reason, and IAM5 ones name their finding', () => {
  const { app } = synth(VARIANTS['everything on']!);
  const acknowledged: [string, string][] = [];
  for (const construct of app.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>))
        acknowledged.push([id, typeof reason === 'string' ? reason : JSON.stringify(reason)]);
    }
  }
  assert.ok(acknowledged.length > 0);
  for (const [id, reason] of acknowledged) {
    assert.ok(reason.length >= 40, `${id}: reason too short: ${reason}`);
    if (/IAM5/.test(id)) assert.match(id, /AwsSolutions-IAM5\[(Resource|Action)::.+\]/);
  }
});

test.run();
