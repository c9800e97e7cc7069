import { basename, extname } from 'node:path';
import { FAILED_CALLS, type DetectorMetadata, type Severity } from '../types.ts';
import { SigmaRuleError } from './errors.ts';

/*
 * A Sigma rule's metadata as a detector's: id from the title, level as severity, the first ATT&CK
 * technique tag, references and false positives. Shared by plain, aggregation and correlation rules.
 */

/** Sigma `level` → our severity. A rule without a level gets {@link DEFAULT_SEVERITY}. */
const SEVERITY_BY_LEVEL: Readonly<Record<string, Severity>> = {
  informational: 'info',
  low: 'low',
  medium: 'medium',
  high: 'high',
  critical: 'critical',
};

/** Sigma's level is optional; `medium` is "review manually", the spec's middle ground. */
const DEFAULT_SEVERITY: Severity = 'medium';

/** A tag naming a MITRE ATT&CK technique, e.g. `attack.t1562.008`. */
const ATTACK_TECHNIQUE_TAG = /^attack\.(t\d{4}(?:\.\d{3})?)$/i;

/** The metadata of a Sigma rule or correlation rule: id `sigma-<kebab-case title>`, level, tags. */
export function metadataOf(doc: Record<string, unknown>, file: string): DetectorMetadata {
  const stem = basename(file, extname(file));
  const title = nonEmptyString(doc['title']) ?? stem;
  const slug = kebab(title) || kebab(stem);
  if (!slug) throw new SigmaRuleError('neither the title nor the file name gives an id');
  return {
    id: `sigma-${slug}`,
    title,
    description: nonEmptyString(doc['description']) ?? title,
    severity: severityOf(doc['level']),
    mitre: mitreOf(doc['tags']),
    references: stringList(doc['references'], 'references'),
    falsePositives: stringList(doc['falsepositives'], 'falsepositives'),
    runbook: `Sigma rule from ${file}${typeof doc['id'] === 'string' ? ` (Sigma id ${doc['id']})` : ''}: read its description, detection and false positives there, then confirm the principal, source IP and whether a change covers the call.`,
    failedCalls: FAILED_CALLS.matched,
    source: file,
  };
}

function severityOf(level: unknown): Severity {
  if (level === undefined || level === null) return DEFAULT_SEVERITY;
  const severity = typeof level === 'string' ? SEVERITY_BY_LEVEL[level.toLowerCase()] : undefined;
  if (!severity) {
    throw new SigmaRuleError(
      `unknown level '${String(level)}' (expected informational, low, medium, high or critical)`,
    );
  }
  return severity;
}

/** The first ATT&CK technique tag; tactics (`attack.defense-evasion`) and other namespaces are skipped. */
function mitreOf(tags: unknown): DetectorMetadata['mitre'] {
  for (const tag of Array.isArray(tags) ? tags : []) {
    const technique = typeof tag === 'string' ? ATTACK_TECHNIQUE_TAG.exec(tag) : null;
    if (technique) return { id: technique[1]!.toUpperCase(), name: '' };
  }
  return { id: '', name: '' };
}

/** Sigma allows a single string or a list for these fields. */
function stringList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.map((item) => {
    if (typeof item === 'string' || typeof item === 'number') return String(item);
    throw new SigmaRuleError(`'${field}' must be a string or a list of strings`);
  });
}

/** Lowercase, every run of non-alphanumerics to one `-`, no leading or trailing `-`. */
function kebab(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}
