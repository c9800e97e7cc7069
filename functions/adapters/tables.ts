/**
 * Key schema of the two tables, shared by the CDK stack, the local store and the queries, so
 * they cannot drift apart.
 */
export const FINDINGS_TABLE = {
  partitionKey: 'id',
  /** Set on each finding when a retention is configured (FINDINGS_TTL_DAYS); DynamoDB TTL deletes it after. */
  ttlAttribute: 'expiresAt',
  /** GSIs named for the question they answer; each sorts by time. */
  indexes: {
    byDetector: { name: 'byDetectorTime', partitionKey: 'detector', sortKey: 'eventTime' },
    byAccount: { name: 'byAccountTime', partitionKey: 'account', sortKey: 'eventTime' },
    byPrincipal: { name: 'byPrincipalTime', partitionKey: 'principal', sortKey: 'eventTime' },
    byRun: { name: 'byRun', partitionKey: 'runId', sortKey: 'detectedAt' },
  },
} as const;

/** Runs (plan, manifest, batch results), the scheduled checkpoint, and detector state. */
export const STATE_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Run items expire (DynamoDB TTL) this long after the run. */
  ttlAttribute: 'expiresAt',
  runRetentionDays: 30,
} as const;
