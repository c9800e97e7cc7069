import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../cdk/app.ts';
import type { AuditorStack } from '../../cdk/auditor-stack.ts';

/** The usual deployment: an existing trail bucket, everything else default. */
export const EXISTING_TRAIL = { trailBucketName: 'org-trail-logs' } as const;

/** Rule files bundled into the functions (paths relative to the repository root). */
export const RULE_FILES = {
  sigmaRulesDir: 'test/cdk/fixtures/sigma',
  suppressionsFile: 'test/cdk/fixtures/suppressions.yml',
} as const;

/** The context of cdk.json (the feature flags), so tests synthesize what `cdk synth` does. */
export const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }
).context;

/**
 * An app (with cdk.json's context) that skips bundling (no esbuild run) and CDK's built-in CloudFormation rule validation
 * (a WASM engine that costs seconds per synth; `cdk synth` still runs it).
 */
export function testApp(context: Record<string, unknown>): App {
  return new App({
    context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context },
    builtinCloudFormationValidation: false,
  });
}

/** Synthesizes the app for a context, without cdk-nag. */
export function synth(context: Record<string, unknown>): { app: App; stack: AuditorStack; template: Template } {
  const app = testApp(context);
  const { stack } = buildApp(app, { nag: false });
  return { app, stack, template: Template.fromStack(stack) };
}

const cache = new Map<string, Template>();

/** The template of a context, synthesized once per test process. */
export function templateOf(context: Record<string, unknown>): Template {
  const key = JSON.stringify(context);
  let template = cache.get(key);
  if (!template) {
    template = synth(context).template;
    cache.set(key, template);
  }
  return template;
}

/** Every resource of a type, as [logicalId, resource]. */
export function resourcesOf(
  template: Template,
  type: string,
): [string, { Properties?: Record<string, unknown>; [key: string]: unknown }][] {
  return Object.entries(template.findResources(type)) as [string, { Properties?: Record<string, unknown> }][];
}

/** Every Allow statement of every IAM policy in the template, actions normalised to arrays. */
export function allStatements(
  template: Template,
): { policy: string; Action: string[]; Resource: unknown[]; Condition?: unknown }[] {
  return resourcesOf(template, 'AWS::IAM::Policy').flatMap(([policy, resource]) => {
    const document = resource.Properties!.PolicyDocument as { Statement: Record<string, unknown>[] };
    return document.Statement.map((statement) => ({
      policy,
      Action: ([] as string[]).concat(statement.Action as string | string[]),
      Resource: ([] as unknown[]).concat(statement.Resource),
      ...(statement.Condition ? { Condition: statement.Condition } : {}),
    }));
  });
}
