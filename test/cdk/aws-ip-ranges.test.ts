import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { stackConfigFromContext } from '../../cdk/config.ts';
import { AWS_IP_RANGES_URL } from '../../functions/core/aws-ranges.ts';
import { ConfigError } from '../../functions/core/errors.ts';
import { EXISTING_TRAIL, resourcesOf, templateOf } from './synth.ts';

/** Each step function's environment variables, by step name. */
function variablesByStep(context: Record<string, unknown>): Record<string, Record<string, unknown>> {
  const byStep: Record<string, Record<string, unknown>> = {};
  for (const [, fn] of resourcesOf(templateOf(context), 'AWS::Lambda::Function')) {
    const step = /^trail-auditor (\w+) /.exec(String(fn.Properties!.Description))?.[1];
    if (step) byStep[step] = (fn.Properties as any).Environment.Variables;
  }
  return byStep;
}

const test = suite('fetchAwsIpRanges');

test("by default only Correlate fetches AWS's ip-ranges.json, from AWS's URL, outside any VPC", () => {
  const byStep = variablesByStep(EXISTING_TRAIL);
  assert.equal(Object.keys(byStep).sort(), ['Analyze', 'Correlate', 'Plan', 'Publish']);
  assert.is(byStep.Correlate!.AWS_IP_RANGES_URL, AWS_IP_RANGES_URL);
  for (const step of ['Analyze', 'Plan', 'Publish']) assert.is(byStep[step]!.AWS_IP_RANGES_URL, undefined, step);
  // A function in a VPC has no Internet egress without a NAT gateway; none of ours is.
  for (const [, fn] of resourcesOf(templateOf(EXISTING_TRAIL), 'AWS::Lambda::Function'))
    assert.is(fn.Properties!.VpcConfig, undefined);
});

test('fetchAwsIpRanges=false turns it off; a bundled awsIpRangesFile replaces it', () => {
  assert.is(variablesByStep({ ...EXISTING_TRAIL, fetchAwsIpRanges: 'false' }).Correlate!.AWS_IP_RANGES_URL, undefined);
  const bundled = variablesByStep({ ...EXISTING_TRAIL, awsIpRangesFile: 'test/cdk/fixtures/ip-ranges.json' });
  assert.is(bundled.Correlate!.AWS_IP_RANGES_URL, undefined);
  assert.is(bundled.Correlate!.AWS_IP_RANGES_FILE, '/var/task/ip-ranges.json');
});

test('refuses a fetchAwsIpRanges that is not true or false, naming the key', () => {
  const context: Record<string, unknown> = { ...EXISTING_TRAIL, fetchAwsIpRanges: 'daily' };
  assert.throws(
    () => stackConfigFromContext((key) => context[key]),
    (error: unknown) => error instanceof ConfigError && /fetchAwsIpRanges must be true or false/.test(String(error)),
  );
});

test.run();
