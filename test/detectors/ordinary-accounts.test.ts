import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { principalOf, type CloudTrailRecord } from '../../functions/core/cloudtrail.ts';
import { correlateInMemory } from '../../functions/core/correlation.ts';
import { isInstanceSession } from '../../functions/detectors/burst.ts';
import { BUILT_IN_DETECTORS } from '../../functions/detectors/index.ts';
import { ordinaryAccountDay } from '../helpers/ordinary-accounts.ts';

/*
 * A day of ordinary traffic shaped like a real account (test/helpers/ordinary-accounts.ts: SSM and
 * CloudWatch agents on 24 instances, ECS, EKS, Lambda, Bedrock, CloudFormation deploys, Config,
 * Terraform plans, console browsing). Each built-in detector fires on none of it, except where its
 * metadata documents the false positive; for those, this says exactly which principal and how
 * often, and holds a detector that documents an ordinaryRate to it here as well, so a detector
 * that starts firing on other ordinary calls fails here.
 */

/** Detector id → its documented false positive (a phrase of falsePositives), whose calls, at most how many findings. */
const DOCUMENTED: Record<string, { falsePositive: string; principal: RegExp; atMost: number | 'every' }> = {
  // The workshop's rule: every call an instance makes itself.
  'instance-creds-used-outside-ec2': {
    falsePositive: 'Every call the instance makes',
    principal: /\/i-[0-9a-f]+$/,
    atMost: 'every',
  },
  // One finding per deploy (6), each on CloudFormation's own call.
  'lambda-function-code-updated': { falsePositive: 'Every deployment', principal: /cfn-exec-role/, atMost: 6 },
  'lambda-layer-attached': {
    falsePositive: 'Deployments that update layer versions',
    principal: /cfn-exec-role/,
    atMost: 6,
  },
  'iam-role-trust-policy-modified': {
    falsePositive: 'Infrastructure-as-code',
    principal: /cfn-exec-role/,
    atMost: 6,
  },
  // One per Terraform plan (4) that refreshes 3 instances, also the plan that straddles a 10-minute
  // window boundary (13:19:59-13:20:00): one finding for its span across the two windows.
  'ec2-user-data-downloaded': { falsePositive: 'Terraform', principal: /TerraformPlan/, atMost: 4 },
  // The first run on a trail reports each Bedrock principal once.
  'bedrock-model-invoked-by-new-principal': { falsePositive: 'first run', principal: /assistant-api/, atMost: 1 },
};

const records = ordinaryAccountDay(7);
const objects: { key: string; records: CloudTrailRecord[] }[] = [];
for (let start = 0; start < records.length; start += 500) {
  objects.push({
    key: `AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/17/part-${start}.json.gz`,
    records: records.slice(start, start + 500),
  });
}

/** The records each detector fires on (a correlating detector: its verdicts' records). */
async function firedOn(detector: (typeof BUILT_IN_DETECTORS)[number], parts = objects): Promise<CloudTrailRecord[]> {
  if (detector.kind === 'stateless') return records.filter((record) => detector.detect(record) !== undefined);
  if (detector.kind === 'correlating')
    return (await correlateInMemory(detector, parts)).map((verdict) => verdict.record);
  return [];
}

const OrdinaryAccounts = suite('built-in detectors on a day of ordinary account traffic');

OrdinaryAccounts('the generated day holds the agents and services it claims, and nothing that fails', () => {
  assert.ok(records.length > 20_000, `${records.length} records`);
  const sources = new Set(records.map((record) => String(record.eventSource).split('.')[0]));
  for (const source of ['ssm', 'ec2messages', 'ecs', 'ecr', 'sts', 'lambda', 'cloudformation', 'bedrock', 'signin'])
    assert.ok(sources.has(source), source);
  assert.ok(records.every((record) => record.errorCode === undefined));
});

OrdinaryAccounts('no detector fires on it except as its metadata documents, on exactly those calls', async () => {
  for (const detector of BUILT_IN_DETECTORS) {
    if (detector.kind !== 'stateless' && detector.kind !== 'correlating') continue; // stateful: own fleet tests
    const fired = await firedOn(detector);
    const documented = DOCUMENTED[detector.meta.id];
    if (!documented) {
      assert.equal(
        fired.slice(0, 3).map((record) => `${principalOf(record)} ${String(record.eventName)}`),
        [],
        `${detector.meta.id} fired ${fired.length} times on ordinary traffic`,
      );
      continue;
    }
    assert.ok(
      detector.meta.falsePositives.some((text) => text.includes(documented.falsePositive)),
      `${detector.meta.id} documents '${documented.falsePositive}'`,
    );
    if (documented.atMost === 'every') assert.is(fired.length, records.filter(isInstanceSession).length);
    else assert.ok(fired.length <= documented.atMost, `${detector.meta.id}: ${fired.length} findings`);
    const rate = detector.meta.ordinaryRate;
    if (rate !== undefined)
      assert.ok(
        fired.length / records.length <= rate,
        `${detector.meta.id} fired on ${fired.length} of ${records.length} calls, over its documented rate ${rate}`,
      );
    for (const record of fired) assert.match(principalOf(record), documented.principal, detector.meta.id);
  }
});

OrdinaryAccounts('correlating detectors give the same findings whatever the order of the files', async () => {
  const shuffled = [...objects].reverse();
  for (const detector of BUILT_IN_DETECTORS) {
    if (detector.kind !== 'correlating') continue;
    const ids = async (parts: typeof objects) =>
      (await firedOn(detector, parts)).map((record) => record.eventID).sort();
    assert.equal(await ids(shuffled), await ids(objects), detector.meta.id);
  }
});

OrdinaryAccounts.run();
