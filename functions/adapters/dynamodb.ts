// The DynamoDB adapters, one file per table and port: the findings table (findings-store.ts,
// findings-query.ts), run bookkeeping in the state table (run-store.ts), correlation aggregates
// (aggregates.ts). Re-exported here for callers that take them together.
export { DynamoFindingsCounter, DynamoFindingsStore } from './findings-store.ts';
export { queryFindings, type FindingsQuery } from './findings-query.ts';
export { DynamoRunStore, LEDGER_RETENTION_DAYS } from './run-store.ts';
