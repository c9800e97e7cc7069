import type { Dirent } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { RuleLoadError, messageOf } from '../../core/errors.ts';
import type { StatelessDetector } from '../types.ts';
import { compileSigmaRule, logsourceMismatch, parseSigmaYaml } from './rule.ts';

export { compileSigmaRule, compileSigmaYaml } from './rule.ts';

/** A Sigma file the loader skipped on purpose (another log source), and why. */
export interface IgnoredSigmaFile {
  file: string;
  reason: string;
}

/** What a folder of Sigma rules gave: the compiled CloudTrail detectors and the files skipped. */
export interface SigmaFolder {
  detectors: StatelessDetector[];
  ignored: IgnoredSigmaFile[];
}

const SIGMA_FILE = /\.ya?ml$/i;

/**
 * Loads every `*.yml`/`*.yaml` file under `folder` (recursively, in sorted path order so ids and
 * findings come out the same on every machine). Rules for `product: aws, service: cloudtrail` are
 * compiled; rules for other log sources are listed in `ignored`, not an error.
 *
 * All or nothing: the first rule that cannot be compiled, and a second rule whose id is already
 * taken, stop the load, so a rule never runs half-understood.
 *
 * @throws {RuleLoadError} naming the file (or the folder, when it cannot be read) and the reason.
 */
export async function loadSigmaFolder(folder: string): Promise<SigmaFolder> {
  const detectors: StatelessDetector[] = [];
  const ignored: IgnoredSigmaFile[] = [];
  const fileById = new Map<string, string>();
  for (const file of await sigmaFiles(folder)) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new RuleLoadError(file, `cannot read file (${messageOf(error)})`, { cause: error });
    }
    const documents = parseSigmaYaml(text, file);
    const candidates = documents.filter((doc) => logsourceMismatch(doc) === undefined || isCorrelation(doc));
    if (candidates.length === 0) {
      ignored.push({ file, reason: documents.length === 0 ? 'no YAML document' : ignoredReason(documents) });
      continue;
    }
    if (documents.length > 1) {
      throw new RuleLoadError(file, `Sigma rule collections (${documents.length} YAML documents in one file) are not supported`);
    }
    const detector = compileSigmaRule(documents[0], file);
    const taken = fileById.get(detector.meta.id);
    if (taken !== undefined) {
      throw new RuleLoadError(file, `duplicate detector id '${detector.meta.id}': already used by ${taken}; give the rule a distinct title`);
    }
    fileById.set(detector.meta.id, file);
    detectors.push(detector);
  }
  return { detectors, ignored };
}

/**
 * The CloudTrail detectors of a folder of Sigma rules; see {@link loadSigmaFolder}, whose
 * `ignored` list this drops.
 *
 * @throws {RuleLoadError}
 */
export async function loadSigmaRules(folder: string): Promise<StatelessDetector[]> {
  return (await loadSigmaFolder(folder)).detectors;
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

/**
 * A correlation rule has no log source of its own; it is kept as a candidate so that compiling it
 * refuses it loudly rather than skipping it as "another log source".
 */
function isCorrelation(doc: unknown): boolean {
  return doc !== null && typeof doc === 'object' && 'correlation' in doc;
}

function ignoredReason(documents: unknown[]): string {
  const reasons = [...new Set(documents.map((doc) => logsourceMismatch(doc) ?? ''))];
  return reasons.join('; ');
}
