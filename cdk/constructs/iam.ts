import { Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { Construct, IConstruct } from 'constructs';

// IAM helpers the constructs share: least-privilege table grants, and cdk-nag acknowledgements of
// the wildcards that cannot be narrowed.

/** Item-level access to one table (and its key), on the table ARN or one index ARN: no Scan. */
export function tableAccess(
  fn: IFunction,
  table: ITable,
  actions: string[],
  key: IKey | undefined,
  resource: string = table.tableArn,
): void {
  fn.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions, resources: [resource] }));
  if (key) {
    const write = actions.some((action) => action !== 'dynamodb:GetItem' && action !== 'dynamodb:Query');
    // What CDK's own table grants ask of the key, spelled out (no action wildcards).
    const read = ['kms:Decrypt', 'kms:DescribeKey'];
    const writeToo = [
      ...read,
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'kms:GenerateDataKeyWithoutPlaintext',
      'kms:ReEncryptFrom',
      'kms:ReEncryptTo',
    ];
    fn.addToRolePolicy(new PolicyStatement({ actions: write ? writeToo : read, resources: [key.keyArn] }));
  }
}

/** How cdk-nag spells an ARN in an IAM5 finding: intrinsics as <Resource.Attr> / <AWS::Pseudo>. */
export function nagArn(scope: Construct, arn: string): string {
  return flattenCfnReference(Stack.of(scope).resolve(arn));
}

/** Acknowledges one IAM5 wildcard finding on one role's default policy. */
export function acknowledgeWildcard(role: IConstruct, finding: string, reason: string): void {
  Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason });
}
