/** Errors with names a person (and a Step Functions Retry/Catch) can match on. */

/** State machine input or CLI arguments that cannot be run; never retried. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
}

/** One log object that cannot be read as CloudTrail: reported by key and reason, never fatal. */
export class LogObjectError extends Error {
  override readonly name: string = 'LogObjectError';
  constructor(
    readonly key: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${key}: ${reason}`, options);
  }
}

/**
 * A log object over a decoding limit (stored size, size after gunzip, or memory to parse it):
 * reported by key with the limit it passed, like any other bad object.
 */
export class ObjectTooLargeError extends LogObjectError {
  override readonly name: string = 'ObjectTooLargeError';
}

/**
 * The findings table refused a finding for its content (DynamoDB's ValidationException: item too
 * large, a key over its limit). One bad record: counted and reported, never retried.
 */
export class FindingRefusedError extends Error {
  override readonly name = 'FindingRefusedError';
}

/** A required setting is missing or malformed. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** A detection rule (Sigma, suppression) that cannot be loaded: names the file and the reason. */
export class RuleLoadError extends Error {
  override readonly name = 'RuleLoadError';
  constructor(
    readonly file: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${reason}`, options);
  }
}

/** Message of any thrown value, for reports. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
