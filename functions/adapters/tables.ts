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
    // Sorted by the item key, not detectedAt: a run's findings share a few detectedAt values, and
    // dynalite keeps only one of two index entries with equal keys whose item ids share a 24-bit
    // hash (test/adapters/findings-query.test.ts); a unique sort key cannot collide.
    byRun: { name: 'byRunId', partitionKey: 'runId', sortKey: 'id' },
    /** Review state (`open`, `acked`, `resolved`) by time: lists every finding, Sigma ones included. */
    byStatus: { name: 'byStatusTime', partitionKey: 'status', sortKey: 'eventTime' },
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
