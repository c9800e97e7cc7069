import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { auditEnvironment, stackConfigFromContext } from '../../cdk/config.ts';
import { CONFIG_ENV, configFromEnv, DEFAULT_CONFIG } from '../../functions/core/config.ts';
import { ConfigError } from '../../functions/core/errors.ts';
import { BUILT_IN_DETECTORS } from '../../functions/detectors/index.ts';

const fromContext = (context: Record<string, unknown>) => stackConfigFromContext((key) => context[key]);
const throwsConfig = (context: Record<string, unknown>, pattern: RegExp) =>
  assert.throws(
    () => fromContext(context),
    (error: unknown) => error instanceof ConfigError && pattern.test(error.message),
  );

const test = suite('stackConfigFromContext');

test('an existing trail bucket gets the documented defaults', () => {
  const config = fromContext({ trailBucketName: 'org-trail-logs' });
  assert.equal(config.trail, { kind: 'existing', bucketName: 'org-trail-logs' });
  assert.is(config.stackName, 'TrailAuditor');
  assert.is(config.scheduleMinutes, 15);
  assert.is(config.notificationEmail, undefined);
  assert.equal(
    config.detectorAlarms,
    BUILT_IN_DETECTORS.map((d) => d.meta.id),
  );
  assert.is(config.findingsRetention, 'retain');
  assert.is(config.findingsTtlDays, undefined);
  assert.is(config.customerManagedKey, false);
  assert.is(config.logRetentionDays, 90);
  assert.is(config.analyzeMemoryMb, 1769);
  assert.equal(config.audit, DEFAULT_CONFIG);
  assert.is(config.demoActivity, false);
});

test('no trail context: an existing bucket named at deploy time (the TrailBucketName parameter)', () => {
  assert.equal(fromContext({}).trail, { kind: 'existing' });
  const kmsKeyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  assert.equal(fromContext({ trailKmsKeyArn: kmsKeyArn }).trail, { kind: 'existing', kmsKeyArn });
  assert.equal(fromContext({ trailBucketName: '' }).trail, { kind: 'existing' });
});

test('createTrail and trailBucketName together are refused', () => {
  throwsConfig({ trailBucketName: 'b-b-b', createTrail: true }, /not both/);
});

test('CLI strings are parsed like cdk.json values', () => {
  const config = fromContext({
    createTrail: 'true',
    scheduleMinutes: '5',
    demoActivity: 'true',
    mapConcurrency: '20',
    initialLookbackHours: 'all',
    findingsTtlDays: '365',
  });
  assert.equal(config.trail, { kind: 'create' });
  assert.is(config.scheduleMinutes, 5);
  assert.is(config.demoActivity, true);
  assert.is(config.audit.mapConcurrency, 20);
  assert.is(config.audit.initialLookbackHours, null);
  assert.is(config.findingsTtlDays, 365);
});

test('detectorAlarms takes "none", a comma list or a JSON array, and rejects unknown ids', () => {
  assert.equal(fromContext({ createTrail: true, detectorAlarms: 'none' }).detectorAlarms, []);
  assert.equal(fromContext({ createTrail: true, detectorAlarms: 'deleting-logs, root-user-activity' }).detectorAlarms, [
    'deleting-logs',
    'root-user-activity',
  ]);
  assert.equal(fromContext({ createTrail: true, detectorAlarms: '["deleting-logs"]' }).detectorAlarms, [
    'deleting-logs',
  ]);
  assert.equal(fromContext({ createTrail: true, detectorAlarms: ['deleting-logs'] }).detectorAlarms, ['deleting-logs']);
  throwsConfig(
    { createTrail: true, detectorAlarms: 'no-such-detector' },
    /no-such-detector is not a built-in detector/,
  );
});

test('perDetectorMetrics: on by default; false drops the per-detector alarms and reaches the functions', () => {
  assert.is(fromContext({ createTrail: true }).audit.perDetectorMetrics, true);
  const off = fromContext({ createTrail: true, perDetectorMetrics: 'false' });
  assert.is(off.audit.perDetectorMetrics, false);
  assert.equal(off.detectorAlarms, []);
  assert.is(auditEnvironment(off.audit)[CONFIG_ENV.perDetectorMetrics], 'false');
  // ...and the deployed function reads it back, refusing anything but true or false.
  assert.is(configFromEnv(auditEnvironment(off.audit)).perDetectorMetrics, false);
  assert.throws(() => configFromEnv({ PER_DETECTOR_METRICS: 'yes' }), /PER_DETECTOR_METRICS must be true or false/);
  assert.equal(
    fromContext({ createTrail: true, perDetectorMetrics: false, detectorAlarms: 'none' }).detectorAlarms,
    [],
  );
  throwsConfig(
    { createTrail: true, perDetectorMetrics: false, detectorAlarms: 'deleting-logs' },
    /detectorAlarms needs perDetectorMetrics=true/,
  );
  throwsConfig({ createTrail: true, perDetectorMetrics: 'no' }, /perDetectorMetrics must be true or false/);
});

test('a metrics namespace under AWS/ is refused', () => {
  throwsConfig({ createTrail: true, metricsNamespace: 'AWS/reInvent2017/SID341' }, /reserved by CloudWatch/);
});

test('bad values name their key', () => {
  throwsConfig({ trailBucketName: 'Not_A_Bucket' }, /trailBucketName/);
  throwsConfig({ createTrail: true, scheduleMinutes: 0 }, /scheduleMinutes/);
  throwsConfig({ createTrail: true, logRetentionDays: 42 }, /logRetentionDays must be one of/);
  throwsConfig({ createTrail: true, findingsRetention: 'keep' }, /findingsRetention/);
  throwsConfig({ createTrail: true, notificationEmail: 'not-an-address' }, /notificationEmail/);
  throwsConfig({ createTrail: true, toleratedFailurePercentage: 150 }, /toleratedFailurePercentage/);
  throwsConfig({ createTrail: 'yes' }, /createTrail must be true or false/);
  throwsConfig({ createTrail: true, sigmaRulesDir: 'no/such/dir' }, /sigmaRulesDir: no\/such\/dir does not exist/);
  throwsConfig(
    { createTrail: true, trailKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/abc' },
    /trailKmsKeyArn belongs to an existing trail/,
  );
});

test.run();

const env = suite('auditEnvironment');

env('sets one variable per CONFIG_ENV entry, null lookback as "all"', () => {
  const variables = auditEnvironment({ ...DEFAULT_CONFIG, initialLookbackHours: null });
  assert.equal(Object.keys(variables).sort(), Object.values(CONFIG_ENV).sort());
  assert.is(variables[CONFIG_ENV.initialLookbackHours], 'all');
  assert.is(variables[CONFIG_ENV.metricsNamespace], 'TrailAuditor');
});

env.run();
