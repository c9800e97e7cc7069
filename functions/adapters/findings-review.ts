import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Finding } from '../core/findings.ts';
import { MAX_NOTE_CHARS, type Review } from '../core/review.ts';
import { FINDINGS_TABLE } from './tables.ts';

/** Outcome of reviewing one finding: the item after the update, or `missing` when no such finding. */
export type ReviewOutcome = { id: string; updated: Finding } | { id: string; missing: true };

/**
 * Moves findings to a review state, recording who, when and the note on each item with a
 * conditional update: an id that is not stored is reported `missing`, never created as a stub.
 * Only the review attributes change, so the finding itself (and the put condition that keeps a
 * re-run from writing it again) is untouched.
 */
export async function reviewFindings(
  client: DynamoDBDocumentClient,
  table: string,
  ids: readonly string[],
  review: Review,
): Promise<ReviewOutcome[]> {
  const outcomes: ReviewOutcome[] = [];
  for (const id of ids) {
    const values: Record<string, unknown> = {
      ':status': review.status,
      ':by': review.reviewedBy,
      ':at': review.reviewedAt,
    };
    let update = 'SET #status = :status, #by = :by, #at = :at';
    const names: Record<string, string> = {
      '#id': FINDINGS_TABLE.partitionKey,
      '#status': 'status',
      '#by': 'reviewedBy',
      '#at': 'reviewedAt',
      '#note': 'reviewNote',
    };
    if (review.reviewNote) {
      values[':note'] = review.reviewNote.slice(0, MAX_NOTE_CHARS);
      update += ', #note = :note';
    } else update += ' REMOVE #note';
    try {
      const answer = await client.send(
        new UpdateCommand({
          TableName: table,
          Key: { [FINDINGS_TABLE.partitionKey]: id },
          UpdateExpression: update,
          ConditionExpression: 'attribute_exists(#id)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      outcomes.push({ id, updated: answer.Attributes as Finding });
    } catch (error) {
      if (
        error instanceof ConditionalCheckFailedException ||
        (error as Error).name === 'ConditionalCheckFailedException'
      )
        outcomes.push({ id, missing: true });
      else throw error;
    }
  }
  return outcomes;
}
