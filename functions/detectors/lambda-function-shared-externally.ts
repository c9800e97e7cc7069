import { principalOf } from '../core/cloudtrail.ts';
import { outsiders, ownAccount } from './accounts.ts';
import { apiCallDetector, label, stringAt } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** Options: accounts a function or layer may be shared with without a finding. */
export interface LambdaShareOptions {
  allowedAccounts?: readonly string[];
}

/** A Lambda function's or layer's resource policy opened to another account or to everyone. */
export function createLambdaFunctionSharedExternally(options: LambdaShareOptions = {}) {
  const allowed = new Set(options.allowedAccounts ?? []);
  return apiCallDetector(
    {
      id: 'lambda-function-shared-externally',
      title: 'Lambda function shared with another account',
      description:
        'Lambda AddPermission (CloudTrail: AddPermission20150331, AddPermission20150331v2) or AddLayerVersionPermission granting a principal "*" (everyone: critical unless narrowed by sourceAccount, sourceArn or principalOrgID) or an account outside this one and the allow-list (high). Service principals such as s3.amazonaws.com are not findings.',
      severity: 'high',
      mitre: { id: 'T1098', name: 'Account Manipulation' },
      references: [
        'https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html',
        'https://docs.aws.amazon.com/lambda/latest/dg/logging-using-cloudtrail.html',
        techniqueUrl('T1098'),
      ],
      falsePositives: ['Functions deliberately invoked by a partner account: add the account to allowedAccounts.'],
      runbook:
        'Read the function\'s policy (GetPolicy). For an unknown account or "*": remove the statement (RemovePermission with its statementId), review Invoke calls from outside since, and check the function\'s code and role for changes by the same principal.',
      failedCalls: FAILED_CALLS.lowerSeverity,
      stratus: ['aws.persistence.lambda-backdoor-function'],
    },
    {
      'lambda.amazonaws.com': [
        'AddPermission',
        'AddPermission20150331',
        'AddPermission20150331v2',
        'AddLayerVersionPermission20181031',
        'AddLayerVersionPermission',
      ],
    },
    (params, record) => {
      const principal = stringAt(params, 'principal');
      if (!principal) return undefined;
      const outside = outsiders([principal], ownAccount(record), allowed);
      if (outside.length === 0) return undefined;
      const what = label(
        String(record.eventName).startsWith('AddLayer') ? 'layer' : 'function',
        stringAt(params, 'functionName') ?? stringAt(params, 'layerName'),
      );
      const everyone = principal === '*';
      const narrowed = ['sourceAccount', 'sourceArn', 'principalOrgID', 'organizationId'].some(
        (field) => stringAt(params, field) !== undefined,
      );
      const action = stringAt(params, 'action') ?? 'an action';
      return {
        reason: `${String(record.eventName)} by ${principalOf(record)} allows ${everyone ? 'everyone (*)' : `account ${principal}`} ${action} on ${what}${narrowed ? ' (narrowed by a source condition)' : ''}.`,
        severity: everyone && !narrowed ? 'critical' : 'high',
      };
    },
  );
}

export const lambdaFunctionSharedExternally = createLambdaFunctionSharedExternally();
