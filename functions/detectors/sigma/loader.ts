import type { Dirent } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { RuleLoadError, messageOf } from '../../core/errors.ts';
import type { Detector } from '../types.ts';
import { SigmaRuleError } from './errors.ts';
import { fieldWarnings, type SigmaWarning } from './fields.ts';
import { compileSigmaBase, logsourceMismatch, parseSigmaYaml, statelessDetector, type SigmaBaseRule } from './rule.ts';
import { aggregationDetector, compileCorrelation } from './windowed-rules.ts';

export { compileSigmaRule, compileSigmaYaml } from './rule.ts';
export type { SigmaWarning } from './fields.ts';

/** A Sigma file the loader skipped on purpose (another log source), and why. */
export interface IgnoredSigmaFile {
  file: string;
  reason: string;
}

/** A CloudTrail rule the engine cannot run, and the construct that stops it. */
export interface RefusedSigmaRule {
  file: string;
  reason: string;
}

/** What a folder of Sigma rules gave. */
export interface SigmaFolder {
  /** Stateless detectors for plain rules; correlating detectors for aggregations and correlation rules. */
  detectors: Detector[];
  /** Files for other log sources. */
  ignored: IgnoredSigmaFile[];
  /** CloudTrail rules (or files) that could not be loaded. Always empty in strict mode, which throws instead. */
  refused: RefusedSigmaRule[];
  /** Loaded rules with a selection that can never match a CloudTrail record. */
  warnings: SigmaWarning[];
  /** Loaded rules that left something open the engine chose for them (an aggregation's window), and what. */
  notes: SigmaNote[];
}

/** What the engine chose for a loaded rule where the rule left it open. */
export interface SigmaNote {
  file: string;
  /** The rule's detector id. */
  rule: string;
  note: string;
}

export interface SigmaLoadOptions {
  /** Throw on the first refused rule (a deployment); otherwise list it in `refused` (a local run). */
  strict?: boolean;
}

const SIGMA_FILE = /\.ya?ml$/i;

/** One CloudTrail document of a file, compiled or waiting for its referenced rules. */
type Entry = { file: string; label: string } & (
  | { kind: 'rule'; rule: SigmaBaseRule }
  | { kind: 'correlation'; doc: Record<string, unknown> }
);

/**
 * Loads every `*.yml`/`*.yaml` file under `folder` (recursively, in sorted path order so ids and
 * findings come out the same on every machine). Rules for `product: aws, service: cloudtrail` and
 * Sigma correlation rules are compiled; files for other log sources are listed in `ignored`.
 *
 * A rule that cannot be compiled is listed in `refused` with its file and reason (lenient, the
 * default) or stops the load (`strict`). So is a second rule whose id is taken, and a correlation
 * whose referenced rule is missing or refused. A detection rule that a correlation refers to
 * gives findings only through it, unless the correlation says `generate: true` (Sigma's default).
 * A file of several YAML documents is a collection of rules, each loaded on its own.
 *
 * @throws {RuleLoadError} when the folder cannot be read; in strict mode, for the first refused
 * rule (its reason says how many more were refused).
 */
export async function loadSigmaFolder(folder: string, options: SigmaLoadOptions = {}): Promise<SigmaFolder> {
  const ignored: IgnoredSigmaFile[] = [];
  const refused: RefusedSigmaRule[] = [];
  const entries: Entry[] = [];
  for (const file of await sigmaFiles(folder)) {
    let documents: unknown[];
    try {
      documents = parseSigmaYaml(await readFile(file, 'utf8'), file);
    } catch (error) {
      refused.push({
        file,
        reason: error instanceof RuleLoadError ? error.reason : `cannot read file (${messageOf(error)})`,
      });
      continue;
    }
    const candidates = documents.filter((doc) => logsourceMismatch(doc) === undefined || isCorrelation(doc));
    if (candidates.length === 0) {
      ignored.push({ file, reason: documents.length === 0 ? 'no YAML document' : ignoredReason(documents) });
      continue;
    }
    if (documents.some((doc) => isMap(doc) && 'action' in doc)) {
      refused.push({
        file,
        reason: "Sigma 1 rule collections with 'action: global' are not supported; write each rule whole",
      });
      continue;
    }
    candidates.forEach((doc) => {
      const label = candidates.length > 1 ? `document ${documents.indexOf(doc) + 1}: ` : '';
      if (isCorrelation(doc)) {
        entries.push({ file, label, kind: 'correlation', doc: doc as Record<string, unknown> });
        return;
      }
      try {
        entries.push({ file, label, kind: 'rule', rule: compileSigmaBase(doc, file) });
      } catch (error) {
        if (!(error instanceof RuleLoadError)) throw error;
        refused.push({ file, reason: `${label}${error.reason}` });
      }
    });
  }
  const result = link(entries, refused);
  if (options.strict && refused.length > 0) {
    const [first] = refused;
    const more =
      refused.length > 1 ? ` (and ${refused.length - 1} more refused rule${refused.length > 2 ? 's' : ''})` : '';
    throw new RuleLoadError(first!.file, `${first!.reason}${more}`);
  }
  return { ...result, ignored, refused };
}

/**
 * The detectors of a folder of Sigma rules; see {@link loadSigmaFolder}. Strict unless told
 * otherwise, because it returns only the detectors: this is what a deployment calls (at synth, to
 * fail it naming the file and reason, and at cold start).
 *
 * @throws {RuleLoadError}
 */
export async function loadSigmaRules(
  folder: string,
  options: SigmaLoadOptions = { strict: true },
): Promise<Detector[]> {
  return (await loadSigmaFolder(folder, { strict: options.strict ?? true })).detectors;
}

/** Resolves correlations against the compiled rules and builds the detectors in file order. */
function link(entries: Entry[], refused: RefusedSigmaRule[]): Pick<SigmaFolder, 'detectors' | 'warnings' | 'notes'> {
  const byHandle = new Map<string, SigmaBaseRule>();
  for (const entry of entries) {
    if (entry.kind !== 'rule') continue;
    for (const handle of [entry.rule.name, entry.rule.sigmaId])
      if (handle && !byHandle.has(handle)) byHandle.set(handle, entry.rule);
  }
  const built: { file: string; label: string; detector: Detector; rules: SigmaBaseRule[] }[] = [];
  const silenced = new Set<SigmaBaseRule>();
  const generated = new Set<SigmaBaseRule>();
  for (const entry of entries) {
    if (entry.kind === 'rule') {
      const detector = entry.rule.aggregation ? aggregationDetector(entry.rule) : statelessDetector(entry.rule);
      built.push({ file: entry.file, label: entry.label, detector, rules: [entry.rule] });
      continue;
    }
    try {
      const correlation = compileCorrelation(entry.doc, entry.file, (handle) => byHandle.get(handle));
      for (const rule of correlation.rules) (correlation.generate ? generated : silenced).add(rule);
      built.push({ file: entry.file, label: entry.label, detector: correlation.detector, rules: correlation.rules });
    } catch (error) {
      if (!(error instanceof SigmaRuleError)) throw error;
      refused.push({ file: entry.file, reason: `${entry.label}${error.reason}` });
    }
  }
  const detectors: Detector[] = [];
  const warnings: SigmaWarning[] = [];
  const notes: SigmaNote[] = [];
  const fileById = new Map<string, string>();
  for (const { file, label, detector, rules } of built) {
    const [own] = rules;
    // A rule a correlation refers to runs inside it; on its own only when some correlation says generate.
    if (detector.kind === 'stateless' && own && silenced.has(own) && !generated.has(own)) continue;
    const taken = fileById.get(detector.meta.id);
    if (taken !== undefined) {
      refused.push({
        file,
        reason: `${label}duplicate detector id '${detector.meta.id}': already used by ${taken}; give the rule a distinct title`,
      });
      continue;
    }
    fileById.set(detector.meta.id, file);
    detectors.push(detector);
    for (const rule of rules) warnings.push(...fieldWarnings(rule.file, detector.meta.id, rule.uses));
    for (const note of own?.notes ?? []) notes.push({ file, rule: detector.meta.id, note });
  }
  return { detectors, warnings, notes };
}

/** Every Sigma file under `folder`, as `folder`-joined paths, sorted by code unit (not locale). */
async function sigmaFiles(folder: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(folder, { recursive: true, withFileTypes: true });
  } catch (error) {
    throw new RuleLoadError(folder, `cannot read rule folder (${messageOf(error)})`, { cause: error });
  }
  return entries
    .filter((entry) => entry.isFile() && SIGMA_FILE.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A correlation rule has no log source of its own; it is compiled against the folder's rules. */
function isCorrelation(doc: unknown): boolean {
  return isMap(doc) && 'correlation' in doc;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function ignoredReason(documents: unknown[]): string {
  const reasons = [...new Set(documents.map((doc) => logsourceMismatch(doc) ?? ''))];
  return reasons.join('; ');
}
