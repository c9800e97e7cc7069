import { recordCopy } from '../core/bounded.ts';
import { isFailedCall, principalOf, type CloudTrailRecord } from '../core/cloudtrail.ts';
import type { CorrelatingDetector, Verdict } from '../core/correlation.ts';
import { earlierFirst, principalKey } from './burst.ts';
import { lowerSeverity, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS, type DetectorMetadata } from './types.ts';

/**
 * The baseline: the principals that invoked Bedrock models before, as far back as the correlation
 * aggregates are kept (their TTL), plus the ones a user lists as known. A principal's first
 * invocation in that memory is a finding, once; later invocations are not.
 */
export interface BedrockOptions {
  /** Principals expected to call Bedrock (tested against the caller ARN): never reported. */
  knownPrincipals?: readonly RegExp[];
}

/** A principal's earliest Bedrock invocation in memory (a slim record copy) and where it came from. */
export interface FirstInvocation {
  first: { record: CloudTrailRecord; objectKey: string };
}

// What a finding shows of the first invocation: the call, the identity and the model asked for.
const COPY = { fieldBytes: 1024, identityBytes: 4096, requestParametersBytes: 4096 } as const;
const INVOCATIONS = new Set(['InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream']);

/** Bedrock model invocations by a principal never seen invoking models before. */
export function createBedrockModelInvokedByNewPrincipal(
  options: BedrockOptions = {},
): CorrelatingDetector<FirstInvocation> {
  const known = options.knownPrincipals ?? [];
  const meta: DetectorMetadata = {
    id: 'bedrock-model-invoked-by-new-principal',
    title: 'Bedrock model invoked by a new principal',
    description:
      'The first Bedrock model invocation (InvokeModel, InvokeModelWithResponseStream, Converse, ConverseStream) by a principal that had not invoked a model before, as far back as correlation aggregates are kept, and that is not in the known list. LLMjacking starts this way: stolen keys used to run paid models. A principal whose first call failed (AccessDenied, ValidationException probing) is reported one step lower.',
    severity: 'medium',
    mitre: { id: 'T1496.004', name: 'Resource Hijacking: Cloud Service Hijacking' },
    references: [
      'https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html',
      'https://sysdig.com/blog/llmjacking-stolen-cloud-credentials-used-in-new-ai-attack/',
      techniqueUrl('T1496.004'),
    ],
    falsePositives: [
      'The first run of the auditor on a trail reports every principal that uses Bedrock once: list the expected ones in knownPrincipals.',
      'New application roles and role sessions named per request (each session ARN is a principal).',
    ],
    runbook:
      'Check whether the principal belongs to a team or application that uses Bedrock. If not: revoke its credentials, look for PutUseCaseForModelAccess / PutFoundationModelEntitlement and ListFoundationModels from it, and check Bedrock spend and model invocation logs for the prompts.',
    failedCalls: FAILED_CALLS.lowerSeverity,
    weaknesses: [
      '"New" only reaches back as far as stored aggregates: after their TTL a returning principal is new again.',
    ],
    stratus: ['aws.impact.bedrock-invoke-model'],
  };
  return {
    kind: 'correlating',
    meta,
    events: { 'bedrock.amazonaws.com': [...INVOCATIONS] },
    observe(record, objectKey) {
      if (record.eventSource !== 'bedrock.amazonaws.com' || !INVOCATIONS.has(record.eventName as string))
        return undefined;
      if (typeof record.eventTime !== 'string') return undefined;
      if (known.some((pattern) => pattern.test(principalOf(record)))) return undefined;
      return [{ key: principalKey(record), aggregate: { first: { record: recordCopy(record, COPY), objectKey } } }];
    },
    merge: (a, b) => ({ first: earlierFirst(a.first, b.first) }),
    judge(_key, aggregate): Verdict[] {
      const { record, objectKey } = aggregate.first;
      const model = stringAt(record, 'requestParameters', 'modelId') ?? 'a model';
      const reason = `${principalOf(record)} invoked Bedrock (${model}) for the first time at ${String(record.eventTime)}.`;
      // The earliest call failed: treat the principal's debut as an attempt.
      const match = isFailedCall(record)
        ? {
            severity: lowerSeverity(meta.severity),
            title: `${meta.title} (failed attempt)`,
            reason: reason.replace(/\.$/, `, but the call failed (${String(record.errorCode)}).`),
          }
        : { reason };
      return [{ subject: 'first-invocation', record, objectKey, match }];
    },
  };
}

export const bedrockModelInvokedByNewPrincipal = createBedrockModelInvokedByNewPrincipal();
