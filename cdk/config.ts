import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FINDINGS_TABLE } from '../functions/adapters/tables.ts';
import { CONFIG_ENV, DEFAULT_CONFIG, validateConfig, type AuditConfig } from '../functions/core/config.ts';
import { didYouMean } from '../functions/core/did-you-mean.ts';
import { ConfigError } from '../functions/core/errors.ts';
import { BUILT_IN_DETECTORS } from '../functions/detectors/index.ts';

/** The repository root: NodejsFunction's project root, and the base of every path in the context. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Log retention periods CloudWatch Logs accepts (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Attribute the findings table expires items on when `findingsTtlDays` is set. */
export const FINDINGS_TTL_ATTRIBUTE = FINDINGS_TABLE.ttlAttribute;

/** Everything the stack is built from, read from CDK context (`cdk.json` or `-c key=value`). */
export interface StackConfig {
  stackName: string;
  /**
   * The trail: an existing bucket (the normal case) or a try-out trail the stack creates. An
   * existing bucket without `bucketName` is named at deploy time by the TrailBucketName parameter.
   */
  trail: { kind: 'existing'; bucketName?: string; kmsKeyArn?: string } | { kind: 'create' };
  /** Minutes between scheduled runs. */
  scheduleMinutes: number;
  notificationEmail?: string;
  /** Detectors that get their own alarm (dimension `Detector`) besides the workshop's total alarm. */
  detectorAlarms: string[];
  findingsRetention: 'retain' | 'destroy';
  findingsTtlDays?: number;
  /** A customer managed KMS key (rotated) for both tables and the alarm topic instead of AWS managed encryption. */
  customerManagedKey: boolean;
  logRetentionDays: (typeof LOG_RETENTION_DAYS)[number];
  analyzeMemoryMb: number;
  /** Every run tunable; each reaches the functions as its CONFIG_ENV variable. */
  audit: AuditConfig;
  /** Files bundled into the functions (absolute paths on the machine that synthesizes). */
  sigmaRulesDir?: string;
  suppressionsFile?: string;
  awsIpRangesFile?: string;
  /** Correlate fetches AWS's ip-ranges.json at most daily (cached in the state table) unless false or a file is bundled. */
  fetchAwsIpRanges: boolean;
  demoActivity: boolean;
}

/** The context keys the app reads, besides one key per AuditConfig field (mapConcurrency, ...). */
export const CONTEXT_KEYS = [
  'stackName',
  'trailBucketName',
  'trailKmsKeyArn',
  'createTrail',
  'scheduleMinutes',
  'notificationEmail',
  'detectorAlarms',
  'findingsRetention',
  'findingsTtlDays',
  'customerManagedKey',
  'logRetentionDays',
  'analyzeMemoryMb',
  'sigmaRulesDir',
  'suppressionsFile',
  'awsIpRangesFile',
  'fetchAwsIpRanges',
  'demoActivity',
] as const;

/**
 * Context keys this app does not read, each with a warning (and the nearest known key): a typo
 * such as `-c scheduleMinute=5` would otherwise be ignored without a word. Keys with a colon or
 * starting with `@` belong to CDK itself (feature flags, `aws:cdk:*`, lookups).
 */
export function unknownContextKeys(context: Record<string, unknown>): string[] {
  const known: string[] = [...CONTEXT_KEYS, ...Object.keys(CONFIG_ENV)];
  return Object.keys(context)
    .filter((key) => !known.includes(key) && !key.includes(':') && !key.startsWith('@') && !CDK_OWN_KEYS.includes(key))
    .sort()
    .map((key) => {
      const near = didYouMean(key, known);
      return `context key ${JSON.stringify(key)} is not used by trail-auditor${near ? ` (did you mean ${near}?)` : ''}; it is ignored`;
    });
}

/** Context keys without a colon that the CDK CLI itself may set. */
const CDK_OWN_KEYS = ['acknowledged-issue-numbers'];

/** What an S3 bucket name looks like (checked on `trailBucketName` and on the TrailBucketName parameter). */
export const BUCKET_NAME_PATTERN = '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$';

/**
 * Reads and validates the stack config from context. `get` is `app.node.tryGetContext`; values
 * may be JSON (cdk.json) or strings (`-c key=value`). Throws ConfigError naming the bad key.
 */
export function stackConfigFromContext(get: (key: string) => unknown, rootDir: string = REPO_ROOT): StackConfig {
  const bucketName = optionalString(get, 'trailBucketName');
  const createTrail = bool(get, 'createTrail', false);
  if (bucketName && createTrail) throw new ConfigError('set trailBucketName or createTrail=true, not both');
  // Neither: the bucket is named at deploy time (the TrailBucketName parameter), so a fresh clone
  // synthesizes with no context; nothing is guessed (no billable trail, nobody else's bucket).
  if (bucketName && !new RegExp(BUCKET_NAME_PATTERN).test(bucketName))
    throw new ConfigError(`trailBucketName ${JSON.stringify(bucketName)} is not an S3 bucket name`);
  const kmsKeyArn = optionalString(get, 'trailKmsKeyArn');
  if (kmsKeyArn && !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/.test(kmsKeyArn))
    throw new ConfigError(
      `trailKmsKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), got ${kmsKeyArn}`,
    );
  if (kmsKeyArn && createTrail)
    throw new ConfigError('trailKmsKeyArn belongs to an existing trail bucket (trailBucketName)');

  const stackName = optionalString(get, 'stackName') ?? 'TrailAuditor';
  if (!/^[A-Za-z][A-Za-z0-9-]{0,59}$/.test(stackName))
    throw new ConfigError(
      `stackName ${JSON.stringify(stackName)}: letters, digits and hyphens, starting with a letter, at most 60`,
    );

  const scheduleMinutes = int(get, 'scheduleMinutes', 15, 1, 1440);
  const notificationEmail = optionalString(get, 'notificationEmail');
  if (notificationEmail && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(notificationEmail))
    throw new ConfigError(`notificationEmail ${JSON.stringify(notificationEmail)} is not an email address`);

  const findingsRetention = optionalString(get, 'findingsRetention') ?? 'retain';
  if (findingsRetention !== 'retain' && findingsRetention !== 'destroy')
    throw new ConfigError(`findingsRetention must be "retain" or "destroy", got ${JSON.stringify(findingsRetention)}`);
  const findingsTtlDays = get('findingsTtlDays') === undefined ? undefined : int(get, 'findingsTtlDays', 0, 1, 36500);

  const logRetentionDays = int(get, 'logRetentionDays', 90, 1, 3653);
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
    throw new ConfigError(`logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}; got ${logRetentionDays}`);
  }

  const sigmaRulesDir = optionalPath(get, 'sigmaRulesDir', rootDir, 'directory');
  const audit = auditConfig(get);
  const config: StackConfig = {
    stackName,
    trail: createTrail
      ? { kind: 'create' }
      : { kind: 'existing', ...(bucketName ? { bucketName } : {}), ...(kmsKeyArn ? { kmsKeyArn } : {}) },
    scheduleMinutes,
    ...(notificationEmail ? { notificationEmail } : {}),
    detectorAlarms: detectorAlarms(get, Boolean(sigmaRulesDir), audit.perDetectorMetrics),
    findingsRetention,
    ...(findingsTtlDays !== undefined ? { findingsTtlDays } : {}),
    customerManagedKey: bool(get, 'customerManagedKey', false),
    logRetentionDays: logRetentionDays as StackConfig['logRetentionDays'],
    analyzeMemoryMb: int(get, 'analyzeMemoryMb', 1769, 1024, 10240),
    audit,
    ...(sigmaRulesDir ? { sigmaRulesDir } : {}),
    ...optionalEntry('suppressionsFile', optionalPath(get, 'suppressionsFile', rootDir, 'file')),
    ...optionalEntry('awsIpRangesFile', optionalPath(get, 'awsIpRangesFile', rootDir, 'file')),
    fetchAwsIpRanges: bool(get, 'fetchAwsIpRanges', true),
    demoActivity: bool(get, 'demoActivity', false),
  };
  return config;
}

/** The environment every function gets: one variable per AuditConfig field, from CONFIG_ENV. */
export function auditEnvironment(audit: AuditConfig): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [field, variable] of Object.entries(CONFIG_ENV) as [keyof AuditConfig, string][]) {
    const value = audit[field];
    env[variable] = value === null ? 'all' : String(value);
  }
  return env;
}

/**
 * `detectorAlarms`: "all" (the default: every built-in detector, so a notification names the
 * detector that fired), "none", or a list (JSON array or comma-separated) of detector ids.
 * The workshop's total alarm exists in every case. With perDetectorMetrics=false: none.
 */
function detectorAlarms(get: (key: string) => unknown, hasSigmaRules: boolean, perDetectorMetrics: boolean): string[] {
  const builtIn = BUILT_IN_DETECTORS.map((detector) => detector.meta.id);
  const raw = get('detectorAlarms');
  if (raw === 'none' || raw === '') return [];
  // Without per-detector metrics a per-detector alarm would never see data.
  if (!perDetectorMetrics) {
    if (raw === undefined) return [];
    throw new ConfigError('detectorAlarms needs perDetectorMetrics=true (a per-detector alarm reads that metric)');
  }
  if (raw === undefined || raw === 'all') return builtIn;
  const ids = list(raw, 'detectorAlarms');
  for (const id of ids) {
    // Sigma rule ids are checked when the rules load (cold start and `trail-auditor detectors`).
    if (!builtIn.includes(id) && !(hasSigmaRules && /^[\w.-]+$/.test(id))) {
      throw new ConfigError(`detectorAlarms: ${id} is not a built-in detector (known: ${builtIn.join(', ')})`);
    }
  }
  return [...new Set(ids)];
}

/** The run tunables: DEFAULT_CONFIG overridden by context keys of the same names. */
function auditConfig(get: (key: string) => unknown): AuditConfig {
  const audit: AuditConfig = { ...DEFAULT_CONFIG };
  for (const field of Object.keys(CONFIG_ENV) as (keyof AuditConfig)[]) {
    const raw = get(field);
    if (raw === undefined) continue;
    if (field === 'trailPrefix' || field === 'metricsNamespace') {
      if (typeof raw !== 'string') throw new ConfigError(`${field} must be a string`);
      (audit as unknown as Record<string, unknown>)[field] = raw;
    } else if (field === 'perDetectorMetrics') {
      audit.perDetectorMetrics = bool(get, field, true);
    } else if (field === 'initialLookbackHours' && (raw === 'all' || raw === null)) {
      audit.initialLookbackHours = null;
    } else {
      (audit as unknown as Record<string, unknown>)[field] = number(raw, field);
    }
  }
  if (audit.metricsNamespace.length === 0 || audit.metricsNamespace.length > 255)
    throw new ConfigError('metricsNamespace must be 1 to 255 characters');
  if (audit.trailPrefix.startsWith('/'))
    throw new ConfigError(`trailPrefix ${JSON.stringify(audit.trailPrefix)} must not start with "/"`);
  if (audit.mapConcurrency > 10_000)
    throw new ConfigError(`mapConcurrency must be at most 10000 (Distributed Map limit), got ${audit.mapConcurrency}`);
  return validateConfig(audit);
}

function optionalEntry<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value ? ({ [key]: value } as Record<K, string>) : {};
}

function optionalString(get: (key: string) => unknown, key: string): string | undefined {
  const raw = get(key);
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string') throw new ConfigError(`${key} must be a string, got ${JSON.stringify(raw)}`);
  return raw.trim();
}

function bool(get: (key: string) => unknown, key: string, fallback: boolean): boolean {
  const raw = get(key);
  if (raw === undefined) return fallback;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new ConfigError(`${key} must be true or false, got ${JSON.stringify(raw)}`);
}

function number(raw: unknown, key: string): number {
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ConfigError(`${key} must be a number, got ${JSON.stringify(raw)}`);
  return value;
}

function int(get: (key: string) => unknown, key: string, fallback: number, min: number, max: number): number {
  const raw = get(key);
  if (raw === undefined) return fallback;
  const value = number(raw, key);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new ConfigError(`${key} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

function list(raw: unknown, key: string): string[] {
  if (Array.isArray(raw) && raw.every((item) => typeof item === 'string'))
    return raw.map((item) => item.trim()).filter(Boolean);
  if (typeof raw === 'string') {
    const text = raw.trim();
    if (text.startsWith('[')) {
      try {
        return list(JSON.parse(text), key);
      } catch (error) {
        throw new ConfigError(`${key}: ${text} is not a JSON array of strings`, { cause: error });
      }
    }
    return text
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  }
  throw new ConfigError(`${key} must be a list of strings, got ${JSON.stringify(raw)}`);
}

/** A path from context (relative to the repository root, or absolute) that must exist; returned absolute. */
function optionalPath(
  get: (key: string) => unknown,
  key: string,
  rootDir: string,
  kind: 'file' | 'directory',
): string | undefined {
  const raw = optionalString(get, key);
  if (!raw) return undefined;
  const absolute = isAbsolute(raw) ? raw : resolve(rootDir, raw);
  if (!existsSync(absolute))
    throw new ConfigError(`${key}: ${raw} does not exist (relative paths start at ${rootDir})`);
  const stat = statSync(absolute);
  if (kind === 'file' ? !stat.isFile() : !stat.isDirectory()) throw new ConfigError(`${key}: ${raw} is not a ${kind}`);
  return absolute;
}
