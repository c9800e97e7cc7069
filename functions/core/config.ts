import { ConfigError } from './errors.ts';

/** Every tunable of a run, with its default. One module reads them; handlers and CLI share it. */
export interface AuditConfig {
  /** Key prefix the trail writes under, before `AWSLogs/` ('' for none). */
  trailPrefix: string;
  /** CloudWatch namespace; `AWS/` is reserved by CloudWatch. */
  metricsNamespace: string;
  /** How many work items the Map runs at once. */
  mapConcurrency: number;
  /** Share of work items that may fail (after retries) before the Map stops the others. */
  toleratedFailurePercentage: number;
  /** Listing calls in flight while planning. */
  listConcurrency: number;
  /** Objects fetched and parsed at once inside one Analyze invocation. */
  readConcurrency: number;
  /** Finding writes in flight inside one Analyze invocation. */
  writeConcurrency: number;
  /** A work item holds at most this many objects... */
  batchMaxObjects: number;
  /** ...and at most about this many bytes of (gzip) log objects. */
  batchMaxBytes: number;
  /**
   * Scheduled runs list the stamps from this far before the start of the last complete run (a
   * file is delivered at most this long after its stamp); the ledger drops what was analysed.
   * `null`: every scheduled run lists the whole trail (local folders, whose ledger never expires).
   */
  deliverySlackHours: number | null;
  /** The first scheduled run looks back this far; `null` audits everything in the trail. */
  initialLookbackHours: number | null;
  /** A scheduled run holds the lease that keeps others from overlapping it at most this long; 0: no lease. */
  scheduleLeaseMinutes: number;
  /**
   * Publish AnomaliesDetected per detector (dimension `Detector`) besides the total, which is always
   * published. Each detector's metric is sent only by runs where it found something (CloudWatch
   * bills a custom metric per hour it receives data); false drops them and the per-detector alarms.
   */
  perDetectorMetrics: boolean;
}

export const DEFAULT_CONFIG: AuditConfig = {
  trailPrefix: '',
  metricsNamespace: 'TrailAuditor',
  mapConcurrency: 8,
  toleratedFailurePercentage: 10,
  listConcurrency: 16,
  readConcurrency: 4,
  writeConcurrency: 16,
  batchMaxObjects: 500,
  batchMaxBytes: 64 * 1024 * 1024,
  deliverySlackHours: 24,
  initialLookbackHours: 24,
  // Longer than a scheduled run takes (a first run of a large organisation: about an hour); a run
  // that crashed without releasing it delays the schedule this long at most, and loses nothing.
  scheduleLeaseMinutes: 180,
  perDetectorMetrics: true,
};

/** Environment variable of each setting (the CDK stack sets them on every function). */
export const CONFIG_ENV = {
  trailPrefix: 'TRAIL_PREFIX',
  metricsNamespace: 'METRICS_NAMESPACE',
  mapConcurrency: 'MAP_CONCURRENCY',
  toleratedFailurePercentage: 'TOLERATED_FAILURE_PERCENTAGE',
  listConcurrency: 'LIST_CONCURRENCY',
  readConcurrency: 'READ_CONCURRENCY',
  writeConcurrency: 'WRITE_CONCURRENCY',
  batchMaxObjects: 'BATCH_MAX_OBJECTS',
  batchMaxBytes: 'BATCH_MAX_BYTES',
  deliverySlackHours: 'DELIVERY_SLACK_HOURS',
  initialLookbackHours: 'INITIAL_LOOKBACK_HOURS',
  scheduleLeaseMinutes: 'SCHEDULE_LEASE_MINUTES',
  perDetectorMetrics: 'PER_DETECTOR_METRICS',
} as const satisfies Record<keyof AuditConfig, string>;

/** Reads the config from an environment, failing fast and naming the variable on a bad value. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AuditConfig {
  const config: AuditConfig = { ...DEFAULT_CONFIG };
  for (const [field, variable] of Object.entries(CONFIG_ENV) as [keyof AuditConfig, string][]) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    (config as unknown as Record<string, unknown>)[field] = parseValue(field, variable, raw);
  }
  return validateConfig(config);
}

/** Checks a config's values, naming the bad setting. */
export function validateConfig(config: AuditConfig): AuditConfig {
  if (config.metricsNamespace.startsWith('AWS/')) {
    throw new ConfigError(
      `metrics namespace ${config.metricsNamespace}: names starting with AWS/ are reserved by CloudWatch`,
    );
  }
  for (const field of [
    'mapConcurrency',
    'listConcurrency',
    'readConcurrency',
    'writeConcurrency',
    'batchMaxObjects',
    'batchMaxBytes',
  ] as const) {
    if (!Number.isInteger(config[field]) || config[field] < 1)
      throw new ConfigError(`${field} must be a whole number >= 1, got ${config[field]}`);
  }
  if (config.toleratedFailurePercentage < 0 || config.toleratedFailurePercentage > 100) {
    throw new ConfigError(
      `toleratedFailurePercentage must be between 0 and 100, got ${config.toleratedFailurePercentage}`,
    );
  }
  return config;
}

/** A required environment variable, or a ConfigError naming it. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new ConfigError(`environment variable ${name} is not set`);
  return value;
}

function parseValue(field: keyof AuditConfig, variable: string, raw: string): unknown {
  if (field === 'trailPrefix' || field === 'metricsNamespace') return raw;
  if (field === 'perDetectorMetrics') {
    if (raw === 'true' || raw === 'false') return raw === 'true';
    throw new ConfigError(`${variable} must be true or false, got ${JSON.stringify(raw)}`);
  }
  if ((field === 'initialLookbackHours' || field === 'deliverySlackHours') && raw === 'all') return null;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new ConfigError(`${variable} must be a number >= 0, got ${JSON.stringify(raw)}`);
  return value;
}

/** Files and options a deployment bundles beside the Analyze code (see the stack's BUNDLED_PATHS). */
export interface RuleFiles {
  sigmaDir?: string;
  suppressionsFile?: string;
  awsIpRangesFile?: string;
  /** Findings expire (DynamoDB TTL) this many days after detection. */
  findingsTtlDays?: number;
}

/** Reads {@link RuleFiles} from SIGMA_RULES_DIR, SUPPRESSIONS_FILE, AWS_IP_RANGES_FILE, FINDINGS_TTL_DAYS. */
export function ruleFilesFromEnv(env: NodeJS.ProcessEnv = process.env): RuleFiles {
  const files: RuleFiles = {};
  if (env.SIGMA_RULES_DIR) files.sigmaDir = env.SIGMA_RULES_DIR;
  if (env.SUPPRESSIONS_FILE) files.suppressionsFile = env.SUPPRESSIONS_FILE;
  if (env.AWS_IP_RANGES_FILE) files.awsIpRangesFile = env.AWS_IP_RANGES_FILE;
  if (env.FINDINGS_TTL_DAYS) {
    const days = Number(env.FINDINGS_TTL_DAYS);
    if (!Number.isFinite(days) || days <= 0)
      throw new ConfigError(
        `FINDINGS_TTL_DAYS must be a number of days > 0, got ${JSON.stringify(env.FINDINGS_TTL_DAYS)}`,
      );
    files.findingsTtlDays = days;
  }
  return files;
}

/** Days correlation aggregates are kept (AGGREGATE_TTL_DAYS, default 3): how late a file may come and still be judged with its session. */
export function aggregateTtlDaysFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.AGGREGATE_TTL_DAYS;
  if (raw === undefined || raw === '') return DEFAULT_AGGREGATE_TTL_DAYS;
  const days = Number(raw);
  if (!Number.isFinite(days) || days <= 0 || days > 365)
    throw new ConfigError(`AGGREGATE_TTL_DAYS must be a number of days in (0, 365], got ${JSON.stringify(raw)}`);
  return days;
}

/**
 * Where a deployed step fetches AWS's ip-ranges.json (AWS_IP_RANGES_URL, set by the stack unless
 * `fetchAwsIpRanges` is false or a file is bundled); undefined: no fetching. A bundled file
 * (AWS_IP_RANGES_FILE) wins over it.
 */
export function awsIpRangesUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env.AWS_IP_RANGES_URL;
  if (!raw || env.AWS_IP_RANGES_FILE) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch (error) {
    throw new ConfigError(`AWS_IP_RANGES_URL must be an http(s) URL, got ${JSON.stringify(raw)}`, { cause: error });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ConfigError(`AWS_IP_RANGES_URL must be an http(s) URL, got ${JSON.stringify(raw)}`);
  return url.href;
}

/** Default of {@link aggregateTtlDaysFromEnv}. */
export const DEFAULT_AGGREGATE_TTL_DAYS = 3;
