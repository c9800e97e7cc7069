import { principalOf } from '../core/cloudtrail.ts';
import { accountOfPrincipal, ownAccount } from './accounts.ts';
import { apiCallDetector, label, stringAt } from './lib.ts';
import { stringsOf } from './burst.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** Options: accounts whose layers are trusted (AWS's own extension accounts, your vendors'): reported low, not high. */
export interface LayerOptions {
  trustedAccounts?: readonly string[];
}

/** Layers (and so extensions, which run beside the handler) attached to a Lambda function. */
export function createLambdaLayerAttached(options: LayerOptions = {}) {
  const trusted = new Set(options.trustedAccounts ?? []);
  return apiCallDetector(
    {
      id: 'lambda-layer-attached',
      title: 'Lambda layer attached to a function',
      description:
        "Lambda UpdateFunctionConfiguration (CloudTrail: UpdateFunctionConfiguration20150331v2) that sets layers on a function: high when a layer belongs to another account not listed in trustedAccounts (AWS publishes its own extensions, e.g. Lambda Insights, from AWS accounts: list them), low otherwise. A layer can carry an extension, a process that runs beside every invocation with the function's role and sees its events.",
      severity: 'low',
      mitre: { id: 'T1648', name: 'Serverless Execution' },
      references: [
        'https://docs.aws.amazon.com/lambda/latest/dg/chapter-layers.html',
        'https://docs.aws.amazon.com/lambda/latest/dg/lambda-extensions.html',
        techniqueUrl('T1648'),
      ],
      falsePositives: [
        'Deployments that update layer versions; third-party observability layers from vendor accounts (reported high: check the vendor).',
      ],
      runbook:
        "List the function's layers (GetFunctionConfiguration) and where each comes from. For an unknown layer: remove it, inspect its content (GetLayerVersion), and review the function role's calls since the change.",
      failedCalls: FAILED_CALLS.ignored,
      stratus: ['aws.persistence.lambda-layer-extension'],
    },
    {
      'lambda.amazonaws.com': [
        'UpdateFunctionConfiguration',
        'UpdateFunctionConfiguration20150331v2',
        'UpdateFunctionConfiguration20150331',
      ],
    },
    (params, record) => {
      const layers = stringsOf(params?.layers);
      if (layers.length === 0) return undefined;
      const own = ownAccount(record);
      const foreign = layers.filter((layer) => {
        const account = accountOfPrincipal(layer);
        return account !== undefined && account !== own && !trusted.has(account);
      });
      const fn = label('function', stringAt(params, 'functionName'));
      const shown = (foreign.length > 0 ? foreign : layers).slice(0, 3).join(', ');
      return {
        reason: `UpdateFunctionConfiguration by ${principalOf(record)} set layers on ${fn}: ${shown}${foreign.length > 0 ? ' (from another account)' : ''}.`,
        severity: foreign.length > 0 ? 'high' : 'low',
      };
    },
  );
}

export const lambdaLayerAttached = createLambdaLayerAttached();
