import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The one state machine definition, used by the stack and the local runner alike. */
export const DEFINITION_PATH = fileURLToPath(new URL('../../statemachine/audit.asl.json', import.meta.url));

/** The `${Placeholder}`s of the definition, each filled by the stack's definitionSubstitutions. */
export const DEFINITION_PLACEHOLDERS = [
  'PlanFunctionArn',
  'AnalyzeFunctionArn',
  'CorrelateFunctionArn',
  'PublishFunctionArn',
] as const;
export type DefinitionPlaceholder = (typeof DEFINITION_PLACEHOLDERS)[number];

/** The Task states bound to step code, by placeholder. */
export const TASK_STATES = {
  Plan: 'PlanFunctionArn',
  Analyze: 'AnalyzeFunctionArn',
  Correlate: 'CorrelateFunctionArn',
  Publish: 'PublishFunctionArn',
} as const;

/** The definition's text, placeholders unfilled. */
export function readDefinition(): string {
  return readFileSync(DEFINITION_PATH, 'utf8');
}

/** Every `${Name}` in a definition's text. */
export function placeholdersIn(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]!))].sort();
}

/** Fills every placeholder; a missing value is an error, never a silent `${...}` left behind. */
export function substitute(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for placeholder \${${name}} in the state machine definition`);
    return value;
  });
}
