import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FindingRefusedError, messageOf } from '../core/errors.ts';
import type { Finding } from '../core/findings.ts';
import type { FindingsCounter, FindingsStore, PutOutcome } from '../core/ports.ts';
import { FINDINGS_TABLE } from './tables.ts';

/** The findings table, written with a conditional put per (detector, eventID). */
export class DynamoFindingsStore implements FindingsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async putIfNew(finding: Finding): Promise<PutOutcome> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: finding,
          // Absent: a new finding. Same run and object: this run's own put, retried after a crash
          // half-way through the work item, so it still counts once. Anything else: a duplicate.
          ConditionExpression: 'attribute_not_exists(#id) OR (#runId = :runId AND #objectKey = :objectKey)',
          ExpressionAttributeNames: {
            '#id': FINDINGS_TABLE.partitionKey,
            '#runId': 'runId',
            '#objectKey': 'objectKey',
          },
          ExpressionAttributeValues: { ':runId': finding.runId, ':objectKey': finding.objectKey },
        }),
      );
      return 'created';
    } catch (error) {
      if (
        error instanceof ConditionalCheckFailedException ||
        (error as Error).name === 'ConditionalCheckFailedException'
      )
        return 'duplicate';
      // Refused for what the item holds (too large, a key over its limit): no retry can fix it.
      // Throttling and 5xx have other names and still fail the work item, which is retried.
      if ((error as Error).name === 'ValidationException') {
        throw new FindingRefusedError(`${finding.id.slice(0, 200)}: ${messageOf(error)}`, { cause: error });
      }
      throw error;
    }
  }
}

/** Counts a run's findings by detector through the by-run index, reading only the detector id. */
export class DynamoFindingsCounter implements FindingsCounter {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async countByRun(runId: string): Promise<Record<string, number>> {
    const index = FINDINGS_TABLE.indexes.byRun;
    const counts: Record<string, number> = {};
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: index.name,
          KeyConditionExpression: '#run = :run',
          ProjectionExpression: '#detector',
          ExpressionAttributeNames: { '#run': index.partitionKey, '#detector': 'detector' },
          ExpressionAttributeValues: { ':run': runId },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const id = String(item.detector);
        counts[id] = (counts[id] ?? 0) + 1;
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return counts;
  }
}
