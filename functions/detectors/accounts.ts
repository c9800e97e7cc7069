import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import { at, type Json } from './lib.ts';

/*
 * Who a grant reaches: shared by the detectors that flag resources opened to another account or
 * to everyone. "Another account" means an account id other than the one the record belongs to
 * and not in the user's allow-list (their organisation's accounts).
 */

const ACCOUNT_ID = /^\d{12}$/;
const ARN_ACCOUNT = /^arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:(\d{12}):/;

/** The account id a principal string names: a bare id or an ARN's account field; undefined for services and `*`. */
export function accountOfPrincipal(principal: string): string | undefined {
  if (ACCOUNT_ID.test(principal)) return principal;
  return ARN_ACCOUNT.exec(principal)?.[1];
}

/** The grantees of a principal that lie outside `own` and `allowed`: other accounts, or `*` for everyone. */
export function outsiders(
  principals: readonly string[],
  own: string | undefined,
  allowed: ReadonlySet<string>,
): string[] {
  const found: string[] = [];
  for (const principal of principals) {
    if (principal === '*') {
      found.push('*');
      continue;
    }
    const account = accountOfPrincipal(principal);
    if (account && account !== own && !allowed.has(account)) found.push(principal);
  }
  return [...new Set(found)];
}

/** The AWS principals of a policy statement (`"*"`, `{ AWS: ... }`), as strings; service principals are left out. */
export function awsPrincipals(statement: Json): string[] {
  const principal = statement.Principal;
  if (principal === '*') return ['*'];
  const aws = at(principal, 'AWS');
  return (Array.isArray(aws) ? aws : [aws]).filter((value): value is string => typeof value === 'string');
}

/** Whether an Allow statement is narrowed by a Condition (we do not judge conditions, we only say so). */
export function hasCondition(statement: Json): boolean {
  const condition = statement.Condition;
  return (
    condition !== undefined &&
    condition !== null &&
    !(typeof condition === 'object' && Object.keys(condition).length === 0)
  );
}

/** The account a record belongs to. */
export function ownAccount(record: CloudTrailRecord): string | undefined {
  return typeof record.recipientAccountId === 'string' ? record.recipientAccountId : undefined;
}
