import { basename, extname, join } from 'node:path';
import { AssetStaging, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { AuditConfig } from '../../functions/core/config.ts';
import { FINDINGS_TABLE } from '../../functions/adapters/tables.ts';
import { AWS_IP_RANGES_URL } from '../../functions/core/aws-ranges.ts';
import { awsLogsPrefix } from '../../functions/core/trail-keys.ts';
import { auditEnvironment, REPO_ROOT } from '../config.ts';
import { copyRuleFiles } from '../rule-files.ts';
import { acknowledgeWildcard, nagArn, tableAccess } from './iam.ts';

/** One current, explicit runtime for every function (nodejs20.x is deprecated; 24 is supported to 2028). */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

/** Where the optional rule files sit inside the deployed Lambda package. */
export const BUNDLED_PATHS = {
  sigmaRulesDir: '/var/task/sigma',
  suppressionsFile: (source: string) => `/var/task/suppressions${extname(source)}`,
  awsIpRangesFile: '/var/task/ip-ranges.json',
} as const;

export interface AuditFunctionsProps {
  /** The trail bucket, read-only: its name and ARN (an imported or a created bucket). */
  trailBucketName: string;
  trailBucketArn: string;
  /** The trail bucket's SSE-KMS key, if any: Analyze gets kms:Decrypt through S3 only. */
  trailKmsKeyArn?: string;
  findingsTable: ITable;
  stateTable: ITable;
  tableKey?: IKey;
  audit: AuditConfig;
  findingsTtlDays?: number;
  logRetention: RetentionDays;
  analyzeMemoryMb: number;
  sigmaRulesDir?: string;
  suppressionsFile?: string;
  awsIpRangesFile?: string;
  /** Correlate fetches ip-ranges.json at run time when no file is bundled (default true). */
  fetchAwsIpRanges?: boolean;
}

/**
 * Plan, Analyze, Correlate and Publish: one NodejsFunction per step, bundled as ESM by the local esbuild
 * (the analyze and publish handlers use top-level await), each with its own role holding only
 * what its step calls (see the adapters: S3Trail, DynamoRunStore, DynamoFindingsStore, ...).
 */
export class AuditFunctions extends Construct {
  readonly plan: NodejsFunction;
  readonly analyze: NodejsFunction;
  readonly correlate: NodejsFunction;
  readonly publish: NodejsFunction;

  constructor(scope: Construct, id: string, props: AuditFunctionsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // Source maps (bundled) make stack traces in the logs point at the TypeScript.
    const common = {
      ...auditEnvironment(props.audit),
      STATE_TABLE: props.stateTable.tableName,
      NODE_OPTIONS: '--enable-source-maps',
    };
    const logsRoot = awsLogsPrefix(props.audit.trailPrefix);

    const sigma: Record<string, string> = props.sigmaRulesDir ? { SIGMA_RULES_DIR: BUNDLED_PATHS.sigmaRulesDir } : {};
    this.plan = this.step('Plan', props, {
      memoryMb: 512,
      timeout: Duration.seconds(900),
      environment: { ...common, TRAIL_BUCKET: props.trailBucketName },
    });
    // Analyze and Correlate judge with the same rule files and evidence, bundled beside the code.
    const rules = {
      environment: {
        FINDINGS_TABLE: props.findingsTable.tableName,
        ...sigma,
        ...(props.suppressionsFile
          ? { SUPPRESSIONS_FILE: BUNDLED_PATHS.suppressionsFile(props.suppressionsFile) }
          : {}),
        ...(props.awsIpRangesFile ? { AWS_IP_RANGES_FILE: BUNDLED_PATHS.awsIpRangesFile } : {}),
        ...(props.findingsTtlDays !== undefined ? { FINDINGS_TTL_DAYS: String(props.findingsTtlDays) } : {}),
      },
      copy: [
        ...(props.sigmaRulesDir ? [{ from: props.sigmaRulesDir, to: 'sigma' }] : []),
        ...(props.suppressionsFile
          ? [{ from: props.suppressionsFile, to: basename(BUNDLED_PATHS.suppressionsFile(props.suppressionsFile)) }]
          : []),
        ...(props.awsIpRangesFile ? [{ from: props.awsIpRangesFile, to: 'ip-ranges.json' }] : []),
      ],
    };
    this.analyze = this.step('Analyze', props, {
      memoryMb: props.analyzeMemoryMb,
      timeout: Duration.seconds(900),
      environment: { ...common, TRAIL_BUCKET: props.trailBucketName, ...rules.environment },
      copy: rules.copy,
    });
    // Correlate never reads the trail. Without a bundled ip-ranges.json it fetches AWS's at most daily
    // (cached in the state table, no new grant): the functions are not in a VPC, so they have egress;
    // without it they go on without the ranges (functions/core/aws-ranges.ts).
    const fetchRanges = (props.fetchAwsIpRanges ?? true) && !props.awsIpRangesFile;
    this.correlate = this.step('Correlate', props, {
      memoryMb: 1024,
      timeout: Duration.seconds(900),
      environment: { ...common, ...rules.environment, ...(fetchRanges ? { AWS_IP_RANGES_URL } : {}) },
      copy: rules.copy,
    });
    // Publish loads the same rules to know every detector id (a 0 datum per detector each run).
    this.publish = this.step('Publish', props, {
      memoryMb: 256,
      timeout: Duration.seconds(300),
      environment: { ...common, FINDINGS_TABLE: props.findingsTable.tableName, ...sigma },
      copy: props.sigmaRulesDir ? [{ from: props.sigmaRulesDir, to: 'sigma' }] : [],
    });

    // Trail bucket: read-only, and only what each step calls. Plan lists (ListObjectsV2, with and
    // without Delimiter) under <prefix>AWSLogs/; Analyze gets objects there. No write, no delete.
    this.plan.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [props.trailBucketArn],
        conditions: { StringLike: { 's3:prefix': [`${logsRoot}*`] } },
      }),
    );
    const logObjects = `${props.trailBucketArn}/${logsRoot}*`;
    this.analyze.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [logObjects] }));
    acknowledgeWildcard(
      this.analyze.role!,
      `Resource::${nagArn(this, logObjects)}`,
      `Analyze reads any log object of the trail: the keys (account, region, date, file) are only known at run time; the grant is GetObject only, limited to the trail's ${logsRoot} prefix.`,
    );
    if (props.trailKmsKeyArn) {
      // The key policy is the user's: it must let this account's IAM policies use the key
      // (the default key policy does), or name the Analyze role.
      this.analyze.addToRolePolicy(
        new PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [props.trailKmsKeyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
        }),
      );
    }

    // Tables: the exact item operations of the DynamoDB adapters (functions/adapters/findings-store.ts, run-store.ts, aggregates.ts).
    // Plan also reads the ledger (Query) and gives the scheduled-run lease up when it fails (UpdateItem).
    tableAccess(
      this.plan,
      props.stateTable,
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      props.tableKey,
    );
    // Analyze writes its correlation aggregates with BatchWriteItem (DynamoAggregateStore).
    tableAccess(
      this.analyze,
      props.stateTable,
      ['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
      props.tableKey,
    );
    tableAccess(this.analyze, props.findingsTable, ['dynamodb:PutItem'], props.tableKey);
    // Correlate queries the touched keys and each key's aggregates, puts its shard's result, and
    // puts findings; it never updates or deletes an item.
    tableAccess(this.correlate, props.stateTable, ['dynamodb:PutItem', 'dynamodb:Query'], props.tableKey);
    tableAccess(this.correlate, props.findingsTable, ['dynamodb:PutItem'], props.tableKey);
    // Publish reads the run, writes the ledger (BatchWriteItem) and moves the schedule's start and
    // the lease (conditional UpdateItem).
    tableAccess(
      this.publish,
      props.stateTable,
      ['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      props.tableKey,
    );
    // Publish counts the run's findings through the by-run index (DynamoFindingsCounter).
    tableAccess(
      this.publish,
      props.findingsTable,
      ['dynamodb:Query'],
      props.tableKey,
      `${props.findingsTable.tableArn}/index/${FINDINGS_TABLE.indexes.byRun.name}`,
    );

    this.publish.addToRolePolicy(
      new PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': props.audit.metricsNamespace } },
      }),
    );
    acknowledgeWildcard(
      this.publish.role!,
      'Resource::*',
      `cloudwatch:PutMetricData has no resource-level permissions; the condition cloudwatch:namespace = ${props.audit.metricsNamespace} limits it to the auditor's own namespace.`,
    );
  }

  private step(
    name: 'Plan' | 'Analyze' | 'Correlate' | 'Publish',
    props: AuditFunctionsProps,
    options: {
      memoryMb: number;
      timeout: Duration;
      environment: Record<string, string>;
      copy?: { from: string; to: string }[];
    },
  ): NodejsFunction {
    const folder = name.toLowerCase();
    const logGroup = new LogGroup(this, `${name}Logs`, {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An explicit role: the default one carries the AWSLambdaBasicExecutionRole managed policy
    // (logs:* on every log group); this one writes to its own log group only.
    const role = new Role(this, `${name}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `trail-auditor ${name} step`,
    });
    logGroup.grantWrite(role);
    const copy = options.copy ?? [];
    // The rule files are copied by this hook itself, in Node, and it returns no shell command:
    // their paths come from context, and a shell would run a `$(...)` in them. CDK calls the hook
    // once at construction with the Docker paths (never used: esbuild is local) and once from the
    // local bundler with the real output folder, just before esbuild writes index.mjs beside them.
    const commandHooks: ICommandHooks = {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir: string, outputDir: string) => {
        if (outputDir !== AssetStaging.BUNDLING_OUTPUT_DIR) copyRuleFiles(copy, outputDir);
        return [];
      },
    };
    return new NodejsFunction(this, name, {
      description: `trail-auditor ${name} (functions/${folder}/handler.ts)`,
      entry: join(REPO_ROOT, 'functions', folder, 'handler.ts'),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: options.memoryMb,
      timeout: options.timeout,
      role,
      logGroup,
      environment: options.environment,
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        // ESM output; some dependencies are CommonJS and call require().
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        // The SDK is bundled too: the version tested is the version that runs.
        externalModules: [],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        tsconfig: join(REPO_ROOT, 'tsconfig.json'),
        commandHooks,
      },
    });
  }
}
