import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, RuleLoadError, messageOf } from '../functions/core/errors.ts';
import { loadSuppressions } from '../functions/core/suppressions.ts';
import { loadAwsIpRanges } from '../functions/detectors/ec2-instance-credentials-off-instance.ts';
import { BUILT_IN_DETECTORS } from '../functions/detectors/index.ts';
import { loadSigmaRules } from '../functions/detectors/sigma/loader.ts';
import type { StackConfig } from './config.ts';

/**
 * The Sigma rules of a folder as the deployed functions will load them, reduced to what synth
 * needs: their ids. The one place synth calls the Sigma loader, so a change of its contract
 * (e.g. refused rules returned in a non-strict mode) is adapted here only.
 *
 * @throws {RuleLoadError} naming the file and the reason
 */
export async function sigmaRuleIds(dir: string): Promise<string[]> {
  return (await loadSigmaRules(dir)).map((rule) => rule.meta.id);
}

/**
 * Loads every rule file the stack bundles, exactly as a cold start will: an invalid suppression
 * file, a Sigma rule the engine refuses or a broken ip-ranges.json fails the synth here, naming
 * the context key, the file and the reason, instead of failing every Lambda cold start later.
 * Also checks `detectorAlarms` against the Sigma rule ids now that they are known.
 */
export async function checkRuleFiles(config: StackConfig): Promise<void> {
  const builtIn = BUILT_IN_DETECTORS.map((d) => d.meta.id);
  let sigmaIds: string[] = [];
  if (config.sigmaRulesDir) {
    sigmaIds = await asConfigError('sigmaRulesDir', () => sigmaRuleIds(config.sigmaRulesDir!));
    const clash = sigmaIds.find((id) => builtIn.includes(id));
    if (clash) throw new ConfigError(`sigmaRulesDir: rule id ${clash} is already a built-in detector`);
    const unknown = config.detectorAlarms.find((id) => !builtIn.includes(id) && !sigmaIds.includes(id));
    if (unknown)
      throw new ConfigError(
        `detectorAlarms: ${unknown} is neither a built-in detector nor a rule in ${config.sigmaRulesDir}`,
      );
  }
  if (config.suppressionsFile)
    await asConfigError('suppressionsFile', () =>
      loadSuppressions(config.suppressionsFile!, { detectorIds: [...builtIn, ...sigmaIds] }),
    );
  if (config.awsIpRangesFile) await asConfigError('awsIpRangesFile', () => loadAwsIpRanges(config.awsIpRangesFile!));
}

async function asConfigError<T>(key: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const reason = error instanceof RuleLoadError ? `${error.file}: ${error.reason}` : messageOf(error);
    throw new ConfigError(`${key}: ${reason}`, { cause: error });
  }
}

/** A file or folder bundled into a function's package: `from` (absolute) to `to` (relative to the package root). */
export interface BundledCopy {
  from: string;
  to: string;
}

/**
 * Copies the rule files into a function's package with Node's fs, never through a shell: their
 * paths come from context, and a path such as `rules$(touch x)` must stay a path. Symlinks are
 * followed, so the package holds the files themselves.
 */
export function copyRuleFiles(copies: readonly BundledCopy[], outputDir: string): void {
  for (const copy of copies) cpSync(copy.from, join(outputDir, copy.to), { recursive: true, dereference: true });
}
