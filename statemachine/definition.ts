import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the one state machine definition sits in the package, read by the stack and the local runner alike. */
const DEFINITION_IN_PACKAGE = join('statemachine', 'audit.asl.json');

/**
 * The definition's path, found from the package root (the nearest folder above this module with a
 * package.json). This module runs from statemachine/ in the sources but from dist/cli/ once the CLI
 * is bundled (in a clone or an installed package), so a path relative to the module would differ
 * between the two; the package root is the same for both, and the one ASL file is never copied.
 */
export function definitionPath(from = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; ) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, DEFINITION_IN_PACKAGE);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}: cannot find ${DEFINITION_IN_PACKAGE}`);
    dir = parent;
  }
}

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
  return readFileSync(definitionPath(), 'utf8');
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
