import { principalOf } from '../core/cloudtrail.ts';
import { apiCallDetector, label, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** Options: principals whose deployments are expected (tested against the caller ARN). */
export interface LambdaCodeOptions {
  /** e.g. `[/:role\/deploy-pipeline\//]`; a matching caller is not reported. */
  deployers?: readonly RegExp[];
}

/** A Lambda function's code replaced (UpdateFunctionCode) by someone other than the known deployers. */
export function createLambdaFunctionCodeUpdated(options: LambdaCodeOptions = {}) {
  const deployers = options.deployers ?? [];
  return apiCallDetector(
    {
      id: 'lambda-function-code-updated',
      title: 'Lambda function code updated',
      description:
        "Lambda UpdateFunctionCode (CloudTrail: UpdateFunctionCode20150331v2) by a caller that is not one of the configured deployers. Replacing a function's code runs the new code with the function's role on every invocation: a quiet backdoor. Low by default because deployments do the same; list your pipelines' roles in `deployers` to keep only the unexpected ones.",
      severity: 'low',
      mitre: { id: 'T1648', name: 'Serverless Execution' },
      references: [
        'https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionCode.html',
        'https://docs.aws.amazon.com/lambda/latest/dg/logging-using-cloudtrail.html',
        techniqueUrl('T1648'),
      ],
      falsePositives: ['Every deployment by a pipeline or developer not listed in `deployers`.'],
      runbook:
        "Compare the new code with the last release (GetFunction gives the package; CodeSha256 is in the response). If unexpected: roll back to the previous version, revoke the caller's credentials, and review what the function did since with its role.",
      failedCalls: FAILED_CALLS.ignored,
      weaknesses: ['Without a deployer list every deployment is reported (at low severity).'],
      stratus: ['aws.persistence.lambda-overwrite-code'],
    },
    { 'lambda.amazonaws.com': ['UpdateFunctionCode', 'UpdateFunctionCode20150331', 'UpdateFunctionCode20150331v2'] },
    (params, record) => {
      const caller = principalOf(record);
      if (deployers.some((deployer) => deployer.test(caller))) return undefined;
      return `UpdateFunctionCode by ${caller} replaced the code of ${label('function', stringAt(params, 'functionName'))}.`;
    },
  );
}

export const lambdaFunctionCodeUpdated = createLambdaFunctionCodeUpdated();
