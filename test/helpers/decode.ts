import {
  DECODE_LIMITS,
  decodeLogSlices,
  type CloudTrailRecord,
  type DecodeLimits,
} from '../../functions/core/cloudtrail.ts';

/** A whole log object decoded at once: every slice's records and skipped entries, joined. */
export function decodeLogObject(
  key: string,
  body: Uint8Array,
  limits: DecodeLimits = DECODE_LIMITS,
): { records: CloudTrailRecord[]; skippedRecords: number; jsonBytes: number } {
  const decoded = decodeLogSlices(key, body, limits);
  const records: CloudTrailRecord[] = [];
  let skippedRecords = 0;
  for (const slice of decoded.slices) {
    for (const record of slice.records) records.push(record);
    skippedRecords += slice.skippedRecords;
  }
  return { records, skippedRecords, jsonBytes: decoded.jsonBytes };
}
