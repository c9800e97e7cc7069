/**
 * A Sigma construct that cannot be compiled, without the file: the compiler modules raise it and
 * `compileSigmaRule` wraps it in a `RuleLoadError` that names the file.
 */
export class SigmaRuleError extends Error {
  override readonly name = 'SigmaRuleError';
  constructor(
    /** What is wrong and where in the rule, e.g. "unsupported modifier 'cidr' on field x in selection 'sel'". */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
  }
}
