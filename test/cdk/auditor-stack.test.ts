import { Match } from 'aws-cdk-lib/assertions';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SCHEDULED_INPUT, TRAIL_BUCKET_PARAMETER } from '../../cdk/auditor-stack.ts';
import { FINDINGS_TTL_ATTRIBUTE } from '../../cdk/config.ts';
import { FINDINGS_TABLE, STATE_TABLE } from '../../functions/adapters/tables.ts';
import { CONFIG_ENV } from '../../functions/core/config.ts';
import { DEFINITION_PLACEHOLDERS, placeholdersIn, readDefinition } from '../../statemachine/definition.ts';
import { WORKSHOP_ALARM } from '../../functions/core/alarms.ts';
import { BUILT_IN_DETECTORS } from '../../functions/detectors/index.ts';
import { allStatements, EXISTING_TRAIL, resourcesOf, RULE_FILES, synth, templateOf } from './synth.ts';

const base = () => templateOf(EXISTING_TRAIL);
const lambdas = (context: Record<string, unknown> = EXISTING_TRAIL) =>
  resourcesOf(templateOf(context), 'AWS::Lambda::Function');
const stepFunction = (step: 'Plan' | 'Analyze' | 'Correlate' | 'Publish') => {
  const found = lambdas().find(([, resource]) =>
    String(resource.Properties!.Description).startsWith(`trail-auditor ${step} `),
  );
  assert.ok(found, `no ${step} function`);
  return found![1].Properties as Record<string, any>;
};

// ---------------------------------------------------------------------------------------------
const stack = suite('AuditorStack');

stack('has exactly the four step functions by default', () => {
  base().resourceCountIs('AWS::Lambda::Function', 4);
  base().resourceCountIs('AWS::EC2::Instance', 0);
  base().resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  base().resourceCountIs('AWS::DynamoDB::Table', 2);
  base().resourceCountIs('AWS::CloudTrail::Trail', 0);
  base().resourceCountIs('AWS::S3::Bucket', 0);
});

stack('schedules a scheduled run every 15 minutes by default, and as configured', () => {
  base().hasResourceProperties('AWS::Events::Rule', {
    ScheduleExpression: 'rate(15 minutes)',
    State: 'ENABLED',
    Targets: [
      Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('AuditStateMachine') },
        Input: JSON.stringify(SCHEDULED_INPUT),
      }),
    ],
  });
  assert.equal(SCHEDULED_INPUT, { mode: 'scheduled' });
  templateOf({ ...EXISTING_TRAIL, scheduleMinutes: 60 }).hasResourceProperties('AWS::Events::Rule', {
    ScheduleExpression: 'rate(1 hour)',
  });
});

stack('outputs what the CLI needs', () => {
  base().hasOutput('StateMachineArn', {});
  base().hasOutput('FindingsTableName', {});
});

stack.run();

// ---------------------------------------------------------------------------------------------
const store = suite('FindingsStore');

store('findings table: key and GSIs from FINDINGS_TABLE, ALL projection, on demand, PITR, encrypted, retained', () => {
  const indexes = Object.values(FINDINGS_TABLE.indexes);
  base().hasResource('AWS::DynamoDB::Table', {
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
    Properties: Match.objectLike({
      KeySchema: [{ AttributeName: FINDINGS_TABLE.partitionKey, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      GlobalSecondaryIndexes: indexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    }),
  });
});

store(
  'findings table: review states are listed through byStatusTime (status, eventTime) and a run through its unique item key',
  () => {
    const [, findings] = resourcesOf(base(), 'AWS::DynamoDB::Table').find(
      ([, r]) => (r.Properties!.KeySchema as unknown[]).length === 1,
    )!;
    const indexes = findings.Properties!.GlobalSecondaryIndexes as {
      IndexName: string;
      KeySchema: { AttributeName: string; KeyType: string }[];
    }[];
    const keys = (name: string) =>
      indexes.find((i) => i.IndexName === name)?.KeySchema.map((k) => `${k.KeyType}:${k.AttributeName}`);
    assert.equal(keys('byStatusTime'), ['HASH:status', 'RANGE:eventTime']);
    // A sort key shared by many items lets dynalite drop index entries (see findings-query tests).
    assert.equal(keys('byRunId'), ['HASH:runId', 'RANGE:id']);
    const attributes = findings.Properties!.AttributeDefinitions as { AttributeName: string; AttributeType: string }[];
    assert.ok(attributes.some((a) => a.AttributeName === 'status' && a.AttributeType === 'S'));
  },
);

store('findings table has no TTL unless findingsTtlDays is set, and can be destroyed on request', () => {
  const [, findings] = resourcesOf(base(), 'AWS::DynamoDB::Table').find(
    ([, r]) => (r.Properties!.KeySchema as unknown[]).length === 1,
  )!;
  assert.is(findings.Properties!.TimeToLiveSpecification, undefined);
  const opted = templateOf({ ...EXISTING_TRAIL, findingsTtlDays: 400, findingsRetention: 'destroy' });
  opted.hasResource('AWS::DynamoDB::Table', {
    DeletionPolicy: 'Delete',
    Properties: Match.objectLike({
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: FINDINGS_TTL_ATTRIBUTE, Enabled: true },
    }),
  });
  opted.hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ FINDINGS_TTL_DAYS: '400' }) },
  });
});

store('findings table is protected from deletion while retained; a table the user chose to destroy is not', () => {
  const findingsOf = (context: Record<string, unknown>) =>
    resourcesOf(templateOf(context), 'AWS::DynamoDB::Table').find(
      ([, r]) => (r.Properties!.KeySchema as unknown[]).length === 1,
    )![1];
  assert.is(findingsOf(EXISTING_TRAIL).Properties!.DeletionProtectionEnabled, true);
  assert.is(
    findingsOf({ ...EXISTING_TRAIL, findingsTtlDays: 400, findingsRetention: 'destroy' }).Properties!
      .DeletionProtectionEnabled,
    false,
  );
  const [, state] = resourcesOf(base(), 'AWS::DynamoDB::Table').find(
    ([, r]) => (r.Properties!.KeySchema as unknown[]).length === 2,
  )!;
  assert.not.ok(state.Properties!.DeletionProtectionEnabled);
});

store('state table: pk/sk, TTL on STATE_TABLE.ttlAttribute, PITR, deleted with the stack', () => {
  base().hasResource('AWS::DynamoDB::Table', {
    DeletionPolicy: 'Delete',
    Properties: Match.objectLike({
      KeySchema: [
        { AttributeName: STATE_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: STATE_TABLE.sortKey, KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: STATE_TABLE.ttlAttribute, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      BillingMode: 'PAY_PER_REQUEST',
    }),
  });
});

store('customerManagedKey encrypts both tables and the topic with one rotated key', () => {
  const template = templateOf({ ...EXISTING_TRAIL, customerManagedKey: true });
  template.resourceCountIs('AWS::KMS::Key', 1);
  template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  const tables = resourcesOf(template, 'AWS::DynamoDB::Table');
  for (const [, table] of tables) assert.equal((table.Properties!.SSESpecification as any).SSEType, 'KMS');
  template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
});

store.run();

// ---------------------------------------------------------------------------------------------
const functions = suite('AuditFunctions');

functions('every step runs on an explicit current Node.js runtime on ARM64, from its handler', () => {
  for (const [, fn] of lambdas()) {
    assert.is(fn.Properties!.Runtime, 'nodejs24.x');
    assert.equal(fn.Properties!.Architectures, ['arm64']);
    assert.is(fn.Properties!.Handler, 'index.handler');
  }
});

functions('memory and timeouts fit the steps: Analyze >= 1024 MB, 900 s', () => {
  assert.ok(stepFunction('Analyze').MemorySize >= 1024);
  assert.is(stepFunction('Analyze').Timeout, 900);
  assert.is(stepFunction('Plan').Timeout, 900);
  assert.ok(stepFunction('Publish').Timeout <= 300);
  assert.is(stepFunction('Correlate').Timeout, 900);
});

functions('each function logs to its own log group with the configured retention', () => {
  base().resourceCountIs('AWS::Logs::LogGroup', 5);
  for (const [, group] of resourcesOf(base(), 'AWS::Logs::LogGroup')) assert.is(group.Properties!.RetentionInDays, 90);
  for (const [, fn] of lambdas()) assert.ok((fn.Properties!.LoggingConfig as any).LogGroup.Ref);
  for (const [, group] of resourcesOf(templateOf({ ...EXISTING_TRAIL, logRetentionDays: 30 }), 'AWS::Logs::LogGroup'))
    assert.is(group.Properties!.RetentionInDays, 30);
});

functions('every function gets every CONFIG_ENV variable, the tables and the bucket it needs', () => {
  for (const step of ['Plan', 'Analyze', 'Correlate', 'Publish'] as const) {
    const variables = stepFunction(step).Environment.Variables;
    for (const name of Object.values(CONFIG_ENV)) assert.ok(name in variables, `${name} missing in ${step}`);
    assert.ok(variables.STATE_TABLE.Ref, `STATE_TABLE in ${step}`);
  }
  assert.is(stepFunction('Plan').Environment.Variables.TRAIL_BUCKET, EXISTING_TRAIL.trailBucketName);
  assert.is(stepFunction('Analyze').Environment.Variables.TRAIL_BUCKET, EXISTING_TRAIL.trailBucketName);
  assert.ok(stepFunction('Analyze').Environment.Variables.FINDINGS_TABLE.Ref);
  assert.ok(stepFunction('Correlate').Environment.Variables.FINDINGS_TABLE.Ref);
  assert.is(stepFunction('Correlate').Environment.Variables.TRAIL_BUCKET, undefined, 'Correlate never reads the trail');
  assert.is(stepFunction('Publish').Environment.Variables.METRICS_NAMESPACE, 'TrailAuditor');
});

functions('context tunables reach the functions through CONFIG_ENV', () => {
  const template = templateOf({
    ...EXISTING_TRAIL,
    mapConcurrency: 32,
    toleratedFailurePercentage: 5,
    batchMaxObjects: 200,
    metricsNamespace: 'Security/Trail',
    trailPrefix: 'org',
  });
  template.hasResourceProperties('AWS::Lambda::Function', {
    Environment: {
      Variables: Match.objectLike({
        [CONFIG_ENV.mapConcurrency]: '32',
        [CONFIG_ENV.toleratedFailurePercentage]: '5',
        [CONFIG_ENV.batchMaxObjects]: '200',
        [CONFIG_ENV.metricsNamespace]: 'Security/Trail',
        [CONFIG_ENV.trailPrefix]: 'org',
      }),
    },
  });
});

functions('rule files are bundled and their in-package paths set', () => {
  const template = templateOf({ ...EXISTING_TRAIL, ...RULE_FILES });
  const variables = (step: string) => {
    const found = resourcesOf(template, 'AWS::Lambda::Function').find(([, r]) =>
      String(r.Properties!.Description).startsWith(`trail-auditor ${step} `),
    );
    return (found![1].Properties as any).Environment.Variables as Record<string, string>;
  };
  assert.is(variables('Analyze').SIGMA_RULES_DIR, '/var/task/sigma');
  assert.is(variables('Analyze').SUPPRESSIONS_FILE, '/var/task/suppressions.yml');
  assert.is(variables('Publish').SIGMA_RULES_DIR, '/var/task/sigma');
  assert.is(variables('Plan').SIGMA_RULES_DIR, undefined);
  assert.is(stepFunction('Analyze').Environment.Variables.SIGMA_RULES_DIR, undefined, 'none without sigmaRulesDir');
});

functions('trail bucket: Plan may only list under AWSLogs/, Analyze may only get objects there', () => {
  const statements = allStatements(base()).filter((s) => s.Action.some((action) => action.startsWith('s3:')));
  const bucket = `:s3:::${EXISTING_TRAIL.trailBucketName}`;
  const flat = (resource: unknown) => JSON.stringify(resource);
  const list = statements.filter((s) => s.Action.includes('s3:ListBucket'));
  assert.is(list.length, 1);
  assert.match(list[0]!.policy, /PlanRole/);
  assert.match(flat(list[0]!.Resource), new RegExp(`${bucket}"`));
  assert.equal(list[0]!.Condition, { StringLike: { 's3:prefix': ['AWSLogs/*'] } });
  const get = statements.filter((s) => s.Action.includes('s3:GetObject'));
  assert.is(get.length, 1);
  assert.match(get[0]!.policy, /AnalyzeRole/);
  assert.match(flat(get[0]!.Resource), new RegExp(`${bucket}/AWSLogs/\\*"`));
  assert.equal(statements.flatMap((s) => s.Action).sort(), ['s3:GetObject', 's3:ListBucket']);
});

functions('no policy anywhere can write to or delete from the trail bucket', () => {
  for (const context of [EXISTING_TRAIL, { createTrail: true }]) {
    const template = templateOf(context);
    for (const statement of allStatements(template)) {
      const touchesTrail =
        JSON.stringify(statement.Resource).includes(EXISTING_TRAIL.trailBucketName) ||
        JSON.stringify(statement.Resource).includes('TryoutTrailBucket');
      if (!touchesTrail) continue;
      for (const action of statement.Action)
        assert.not.match(
          action,
          /^s3:(Put|Delete|\*)|^s3:.*\*/,
          `${action} on the trail bucket in ${statement.policy}`,
        );
    }
  }
});

functions('a trail prefix narrows both grants', () => {
  const statements = allStatements(templateOf({ ...EXISTING_TRAIL, trailPrefix: 'org' })).filter((s) =>
    s.Action.some((action) => action.startsWith('s3:')),
  );
  assert.equal(statements.find((s) => s.Action.includes('s3:ListBucket'))!.Condition, {
    StringLike: { 's3:prefix': ['org/AWSLogs/*'] },
  });
  assert.match(JSON.stringify(statements.find((s) => s.Action.includes('s3:GetObject'))!.Resource), /org\/AWSLogs\/\*/);
});

functions('tables: only the item operations each step performs', () => {
  const dynamo = (policy: RegExp) =>
    allStatements(base())
      .filter((s) => policy.test(s.policy))
      .flatMap((s) => s.Action.filter((action) => action.startsWith('dynamodb:')))
      .sort();
  assert.equal(dynamo(/Plan/), ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
  // Analyze: manifest, batch result and its aggregates (batched), findings; no per-record state calls.
  assert.equal(dynamo(/Analyze/), [
    'dynamodb:BatchWriteItem',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:PutItem',
  ]);
  // Correlate: queries touched keys and aggregates, puts its result and findings; never updates.
  assert.equal(dynamo(/Correlate/), ['dynamodb:PutItem', 'dynamodb:PutItem', 'dynamodb:Query']);
  const correlateFindings = allStatements(base()).filter(
    (s) => /Correlate/.test(s.policy) && JSON.stringify(s.Resource).includes('Findings'),
  );
  assert.equal(
    correlateFindings.map((s) => s.Action),
    [['dynamodb:PutItem']],
  );
  assert.equal(dynamo(/Publish/), [
    'dynamodb:BatchWriteItem',
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:Query',
    'dynamodb:UpdateItem',
  ]);
  // Publish's only access to the findings is counting them through the by-run index.
  const findingsQuery = allStatements(base()).filter(
    (s) => /Publish/.test(s.policy) && JSON.stringify(s.Resource).includes('/index/'),
  );
  assert.equal(
    findingsQuery.map((s) => s.Action),
    [['dynamodb:Query']],
  );
  assert.match(JSON.stringify(findingsQuery[0]!.Resource), /\/index\/byRun/);
  for (const statement of allStatements(base())) {
    for (const action of statement.Action)
      assert.not.ok(
        ['dynamodb:Scan', 'dynamodb:DeleteItem', 'dynamodb:*'].includes(action),
        `${action} in ${statement.policy}`,
      );
  }
});

functions('only Publish may put metrics, and only in the namespace', () => {
  const metrics = allStatements(base()).filter((s) => s.Action.includes('cloudwatch:PutMetricData'));
  assert.is(metrics.length, 1);
  assert.match(metrics[0]!.policy, /Publish/);
  assert.equal(metrics[0]!.Condition, { StringEquals: { 'cloudwatch:namespace': 'TrailAuditor' } });
});

functions('a KMS-encrypted trail bucket: Analyze may decrypt with that key through S3 only', () => {
  const key = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const decrypt = allStatements(templateOf({ ...EXISTING_TRAIL, trailKmsKeyArn: key })).filter(
    (s) => s.Action.includes('kms:Decrypt') && s.Resource.includes(key),
  );
  assert.is(decrypt.length, 1);
  assert.match(decrypt[0]!.policy, /Analyze/);
  assert.ok(JSON.stringify(decrypt[0]!.Condition).includes('kms:ViaService'));
});

functions.run();

// ---------------------------------------------------------------------------------------------
const machine = suite('AuditStateMachine');

const definitionOf = () => {
  const [[, resource]] = resourcesOf(base(), 'AWS::StepFunctions::StateMachine') as [
    [string, { Properties?: Record<string, any> }],
  ];
  return resource.Properties!;
};

machine('the definition is the ASL file, inline, with its placeholders intact for substitution', () => {
  assert.is(definitionOf().DefinitionString, readDefinition());
});

machine('every DEFINITION_PLACEHOLDER is substituted with its function ARN, and nothing else is left', () => {
  const properties = definitionOf();
  assert.equal(Object.keys(properties.DefinitionSubstitutions).sort(), [...DEFINITION_PLACEHOLDERS].sort());
  const expected = {
    PlanFunctionArn: /StepsPlan/,
    AnalyzeFunctionArn: /StepsAnalyze/,
    CorrelateFunctionArn: /StepsCorrelate/,
    PublishFunctionArn: /StepsPublish/,
  };
  for (const placeholder of DEFINITION_PLACEHOLDERS) {
    const value = properties.DefinitionSubstitutions[placeholder];
    assert.is(value['Fn::GetAtt'][1], 'Arn');
    assert.match(value['Fn::GetAtt'][0], expected[placeholder]);
  }
  const unfilled = placeholdersIn(properties.DefinitionString).filter(
    (name) => !(name in properties.DefinitionSubstitutions),
  );
  assert.equal(unfilled, []);
});

machine('logs ALL events without execution data, traces, and runs as STANDARD', () => {
  const properties = definitionOf();
  assert.is(properties.StateMachineType, 'STANDARD');
  assert.is(properties.LoggingConfiguration.Level, 'ALL');
  assert.is(properties.LoggingConfiguration.IncludeExecutionData, false);
  assert.equal(properties.TracingConfiguration, { Enabled: true });
  assert.is(JSON.parse(properties.DefinitionString).TimeoutSeconds, 86400);
});

machine('the role may invoke exactly the four functions, and run its own Distributed Map children', () => {
  const statements = allStatements(base()).filter((s) => /AuditStateMachineRole/.test(s.policy));
  const invoke = statements.filter((s) => s.Action.includes('lambda:InvokeFunction'));
  assert.is(invoke.length, 1);
  assert.equal(invoke[0]!.Resource.map((r: any) => r['Fn::GetAtt'][0].replace(/[0-9A-F]{8}$/, '')).sort(), [
    'StepsAnalyze',
    'StepsCorrelate',
    'StepsPlan',
    'StepsPublish',
  ]);
  const start = statements.find((s) => s.Action.includes('states:StartExecution'))!;
  assert.match(JSON.stringify(start.Resource), /:stateMachine:TrailAuditor-audit"/);
  const children = statements.find((s) => s.Action.includes('states:DescribeExecution'))!;
  assert.equal(children.Action.sort(), ['states:DescribeExecution', 'states:StopExecution']);
  assert.match(JSON.stringify(children.Resource), /:execution:TrailAuditor-audit\/\*"/);
  base().hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'TrailAuditor-audit' });
});

machine.run();

// ---------------------------------------------------------------------------------------------
const alarms = suite('AuditAlarms');

const alarmNamed = (template: ReturnType<typeof templateOf>, name: string) => {
  const found = resourcesOf(template, 'AWS::CloudWatch::Alarm').find(
    ([, alarm]) => alarm.Properties!.AlarmName === name,
  );
  assert.ok(found, `no alarm ${name}`);
  return found![1].Properties as Record<string, any>;
};
const topicRef = () => ({ Ref: resourcesOf(base(), 'AWS::SNS::Topic')[0]![0] });

alarms(
  'the workshop alarm, exactly: AnomaliesDetected, Sum >= 1 over 60 s, one period, missing data not breaching',
  () => {
    const alarm = alarmNamed(base(), `TrailAuditor-${WORKSHOP_ALARM.name}`);
    assert.is(alarm.MetricName, 'AnomaliesDetected');
    assert.is(alarm.Namespace, 'TrailAuditor');
    assert.is(alarm.Statistic, 'Sum');
    assert.is(alarm.Period, 60);
    assert.is(alarm.EvaluationPeriods, 1);
    assert.is(alarm.Threshold, 1);
    assert.is(alarm.ComparisonOperator, 'GreaterThanOrEqualToThreshold');
    assert.is(alarm.TreatMissingData, 'notBreaching');
    assert.is(alarm.Dimensions, undefined);
    assert.equal(alarm.AlarmActions, [topicRef()]);
  },
);

alarms('one alarm per built-in detector by default, with the Detector dimension', () => {
  for (const { meta } of BUILT_IN_DETECTORS) {
    const alarm = alarmNamed(base(), `TrailAuditor-AnomaliesDetected-${meta.id}`);
    assert.equal(alarm.Dimensions, [{ Name: 'Detector', Value: meta.id }]);
    assert.is(alarm.MetricName, 'AnomaliesDetected');
    assert.is(alarm.Statistic, 'Sum');
    assert.is(alarm.Period, 60);
    assert.is(alarm.Threshold, 1);
    assert.equal(alarm.AlarmActions, [topicRef()]);
  }
  base().resourceCountIs('AWS::CloudWatch::Alarm', BUILT_IN_DETECTORS.length + 3);
});

alarms('detectorAlarms limits the per-detector alarms; the workshop alarm stays', () => {
  const template = templateOf({ ...EXISTING_TRAIL, detectorAlarms: 'deleting-logs' });
  template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
  alarmNamed(template, 'TrailAuditor-AnomaliesDetected-deleting-logs');
  alarmNamed(template, 'TrailAuditor-AnomaliesDetected');
});

alarms('a custom namespace reaches every anomaly alarm', () => {
  const template = templateOf({ ...EXISTING_TRAIL, metricsNamespace: 'Security/Trail', detectorAlarms: 'none' });
  assert.is(alarmNamed(template, 'TrailAuditor-AnomaliesDetected').Namespace, 'Security/Trail');
});

alarms('failed and timed-out runs alarm on the state machine', () => {
  for (const [name, metric] of [
    ['RunFailed', 'ExecutionsFailed'],
    ['RunTimedOut', 'ExecutionsTimedOut'],
  ] as const) {
    const alarm = alarmNamed(base(), `TrailAuditor-${name}`);
    assert.is(alarm.Namespace, 'AWS/States');
    assert.is(alarm.MetricName, metric);
    assert.is(alarm.Statistic, 'Sum');
    assert.is(alarm.ComparisonOperator, 'GreaterThanOrEqualToThreshold');
    assert.is(alarm.Threshold, 1);
    assert.equal(
      alarm.Dimensions,
      [{ Name: 'StateMachineArn', Value: { Ref: Match.stringLikeRegexp('AuditStateMachine') } }].map((d) => ({
        ...d,
        Value: alarm.Dimensions[0].Value,
      })),
    );
    assert.match(alarm.Dimensions[0].Value.Ref, /AuditStateMachine/);
    assert.equal(alarm.AlarmActions, [topicRef()]);
  }
});

alarms('the topic refuses non-TLS publishers; email only when configured', () => {
  base().resourceCountIs('AWS::SNS::Topic', 1);
  base().hasResourceProperties('AWS::SNS::TopicPolicy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]),
    },
  });
  base().resourceCountIs('AWS::SNS::Subscription', 0);
  templateOf({ ...EXISTING_TRAIL, notificationEmail: 'secops@example.com' }).hasResourceProperties(
    'AWS::SNS::Subscription',
    { Protocol: 'email', Endpoint: 'secops@example.com' },
  );
});

alarms.run();

// ---------------------------------------------------------------------------------------------
const dashboard = suite('AuditDashboard');

dashboard('shows anomalies per detector, objects and records, failures and run duration', () => {
  const [[, resource]] = resourcesOf(base(), 'AWS::CloudWatch::Dashboard') as [
    [string, { Properties?: Record<string, any> }],
  ];
  const body = JSON.stringify(resource.Properties!.DashboardBody);
  for (const expected of [
    'AnomaliesDetected',
    'Detector',
    'ObjectsAnalyzed',
    'ObjectsFailed',
    'RecordsAnalyzed',
    'FindingsSuppressed',
    'WorkItemsMissing',
    'ExecutionsFailed',
    'ExecutionTime',
  ]) {
    assert.ok(body.includes(expected), `${expected} missing from the dashboard`);
  }
});

dashboard('is named per stack and region (dashboard names are account-wide)', () => {
  base().hasResourceProperties('AWS::CloudWatch::Dashboard', {
    DashboardName: { 'Fn::Join': ['', ['TrailAuditor-', { Ref: 'AWS::Region' }]] },
  });
});

dashboard.run();

// ---------------------------------------------------------------------------------------------
const parameter = suite('TrailBucketName parameter');
const NO_CONTEXT = {};
const bucketRef = { Ref: TRAIL_BUCKET_PARAMETER };

parameter('with no trail context: a String parameter with the bucket-name pattern and a description', () => {
  const template = templateOf(NO_CONTEXT);
  template.hasParameter(TRAIL_BUCKET_PARAMETER, {
    Type: 'String',
    AllowedPattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
    Description: Match.stringLikeRegexp('CloudTrail bucket'),
  });
  const pattern = new RegExp(template.toJSON().Parameters[TRAIL_BUCKET_PARAMETER].AllowedPattern);
  for (const name of ['my-trail-bucket', 'org.trail.logs', 'abc']) assert.ok(pattern.test(name), name);
  for (const name of ['My_Bucket', 'ab', '-trail', 'trail-', `a${'b'.repeat(62)}c`])
    assert.not.ok(pattern.test(name), name);
  template.resourceCountIs('AWS::S3::Bucket', 0);
  template.resourceCountIs('AWS::CloudTrail::Trail', 0);
  assert.not.ok('TrailBucketName' in template.toJSON().Outputs, 'no output echoing the parameter');
});

parameter('the grants and TRAIL_BUCKET reference the parameter, with the prefix', () => {
  for (const [context, logs] of [
    [NO_CONTEXT, 'AWSLogs/'],
    [{ trailPrefix: 'org' }, 'org/AWSLogs/'],
  ] as const) {
    const template = templateOf(context);
    const statements = allStatements(template).filter((s) => s.Action.some((action) => action.startsWith('s3:')));
    assert.equal(statements.flatMap((s) => s.Action).sort(), ['s3:GetObject', 's3:ListBucket']);
    const list = statements.find((s) => s.Action.includes('s3:ListBucket'))!;
    assert.match(list.policy, /PlanRole/);
    assert.equal(list.Resource, [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', bucketRef]] }]);
    assert.equal(list.Condition, { StringLike: { 's3:prefix': [`${logs}*`] } });
    const get = statements.find((s) => s.Action.includes('s3:GetObject'))!;
    assert.match(get.policy, /AnalyzeRole/);
    assert.equal(get.Resource, [
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', bucketRef, `/${logs}*`]] },
    ]);
    const variables = (step: string) =>
      (
        resourcesOf(template, 'AWS::Lambda::Function').find(([, r]) =>
          String(r.Properties!.Description).startsWith(`trail-auditor ${step} `),
        )![1].Properties as any
      ).Environment.Variables;
    assert.equal(variables('Plan').TRAIL_BUCKET, bucketRef);
    assert.equal(variables('Analyze').TRAIL_BUCKET, bucketRef);
  }
});

parameter('no parameter when the bucket comes from context or the stack creates the trail', () => {
  for (const context of [EXISTING_TRAIL, { createTrail: true }]) {
    assert.is(templateOf(context).toJSON().Parameters?.[TRAIL_BUCKET_PARAMETER], undefined, JSON.stringify(context));
    templateOf(context).hasOutput('TrailBucketName', {});
  }
});

parameter.run();

// ---------------------------------------------------------------------------------------------
const tryout = suite('TryoutTrail');

tryout('createTrail: a multi-region, validated trail into a private, encrypted, versioned, TLS-only bucket', () => {
  const template = templateOf({ createTrail: true });
  template.resourceCountIs('AWS::CloudTrail::Trail', 1);
  template.hasResourceProperties('AWS::CloudTrail::Trail', {
    IsMultiRegionTrail: true,
    EnableLogFileValidation: true,
    IncludeGlobalServiceEvents: true,
    IsLogging: true,
  });
  template.hasResourceProperties('AWS::S3::Bucket', {
    BucketEncryption: {
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    },
    VersioningConfiguration: { Status: 'Enabled' },
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    },
  });
  template.hasResourceProperties('AWS::S3::BucketPolicy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      ]),
    },
  });
  // The steps only; the other function is CDK's auto-delete handler of the try-out bucket.
  const steps = resourcesOf(template, 'AWS::Lambda::Function').filter(([, r]) =>
    String(r.Properties!.Description ?? '').startsWith('trail-auditor'),
  );
  assert.is(steps.length, 4);
  template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
});

tryout('the functions read the created bucket', () => {
  const template = templateOf({ createTrail: true });
  template.hasResourceProperties('AWS::Lambda::Function', {
    Environment: {
      Variables: Match.objectLike({ TRAIL_BUCKET: { Ref: Match.stringLikeRegexp('TryoutTrailBucket') } }),
    },
  });
});

tryout.run();

// ---------------------------------------------------------------------------------------------
const demo = suite('DemoActivity');

demo('off by default; when on: an IMDSv2-only t4g.nano and a 5-minute generator', () => {
  const template = templateOf({ createTrail: true, demoActivity: true });
  template.resourceCountIs('AWS::EC2::Instance', 1);
  template.hasResourceProperties('AWS::EC2::Instance', { InstanceType: 't4g.nano' });
  template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
    LaunchTemplateData: { MetadataOptions: { HttpTokens: 'required' } },
  });
  template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
  // 4 steps + the generator; the bucket's auto-delete handler is a custom resource provider.
  const fns = resourcesOf(template, 'AWS::Lambda::Function').filter(
    ([, r]) =>
      r.Properties!.Runtime === 'nodejs24.x' && String(r.Properties!.Description ?? '').startsWith('trail-auditor'),
  );
  assert.is(fns.length, 5);
});

demo('the user data refreshes the credentials with IMDSv2 on a timer', () => {
  const template = templateOf({ createTrail: true, demoActivity: true });
  const [[, instance]] = resourcesOf(template, 'AWS::EC2::Instance') as [
    [string, { Properties?: Record<string, any> }],
  ];
  const script = JSON.stringify(instance.Properties!.UserData);
  assert.ok(script.includes('latest/api/token'));
  assert.ok(script.includes('X-aws-ec2-metadata-token'));
  assert.ok(script.includes('OnUnitActiveSec=30min'));
});

demo('synthesizes on an existing trail too, and deletes everything with the stack', () => {
  const { template } = synth({ ...EXISTING_TRAIL, demoActivity: true });
  for (const [, bucket] of resourcesOf(template, 'AWS::S3::Bucket')) assert.is(bucket.DeletionPolicy, 'Delete');
  template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
});

demo.run();
