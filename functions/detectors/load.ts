import { RuleLoadError } from '../core/errors.ts';
import { BUILT_IN_DETECTORS } from './index.ts';
import { createEc2InstanceCredentialsOffInstance, loadAwsIpRanges } from './ec2-instance-credentials-off-instance.ts';
import { loadSigmaFolder, type RefusedSigmaRule, type SigmaNote, type SigmaWarning } from './sigma/loader.ts';
import type { Detector } from './types.ts';

/** Where a deployment or a local run keeps its own rules and evidence. */
export interface DetectorSources {
  /** A folder of Sigma rules (product aws, service cloudtrail). */
  sigmaDir?: string;
  /**
   * Whether a Sigma rule that cannot be loaded stops the load (default true: a deployment). A
   * local run passes false: it runs what it can and reports the rest.
   */
  strictSigma?: boolean;
  /** AWS's published ip-ranges.json, evidence for the off-instance detector. */
  awsIpRangesFile?: string;
}

/** What loading the user's Sigma folder gave: counts for the run summary. */
export interface SigmaLoadReport {
  /** Sigma detectors loaded (plain, aggregation and correlation rules). */
  loaded: number;
  refused: RefusedSigmaRule[];
  warnings: SigmaWarning[];
  /** What the engine chose for loaded rules that left it open (an aggregation's window). */
  notes?: SigmaNote[];
}

/**
 * The detectors of a run: the built-in registry (the off-instance detector built with the user's
 * evidence files) followed by the user's Sigma rules, with what the Sigma load refused. Strict by
 * default: a rule that cannot be loaded stops here, before any record is read, with the file and
 * the reason.
 *
 * @throws {RuleLoadError}
 */
export async function loadDetectorSet(
  sources: DetectorSources = {},
): Promise<{ detectors: Detector[]; sigma: SigmaLoadReport }> {
  const detectors: Detector[] = [...BUILT_IN_DETECTORS];
  if (sources.awsIpRangesFile) {
    const awsIpRanges = await loadAwsIpRanges(sources.awsIpRangesFile);
    const index = detectors.findIndex((d) => d.meta.id === 'ec2-instance-credentials-off-instance');
    const configured = createEc2InstanceCredentialsOffInstance({ awsIpRanges });
    if (index >= 0) detectors[index] = configured;
    else detectors.push(configured);
  }
  const sigma: SigmaLoadReport = { loaded: 0, refused: [], warnings: [], notes: [] };
  if (sources.sigmaDir) {
    const strict = sources.strictSigma ?? true;
    const folder = await loadSigmaFolder(sources.sigmaDir, { strict });
    sigma.refused.push(...folder.refused);
    sigma.warnings.push(...folder.warnings);
    sigma.notes?.push(...folder.notes);
    const builtInIds = new Set(detectors.map((d) => d.meta.id));
    for (const rule of folder.detectors) {
      if (builtInIds.has(rule.meta.id)) {
        const refusal = {
          file: rule.meta.source ?? sources.sigmaDir,
          reason: `id ${rule.meta.id} is already a built-in detector`,
        };
        if (strict) throw new RuleLoadError(refusal.file, refusal.reason);
        sigma.refused.push(refusal);
        continue;
      }
      detectors.push(rule);
      sigma.loaded++;
    }
  }
  return { detectors, sigma };
}

/** The detectors of {@link loadDetectorSet}, without the report. */
export async function loadDetectors(sources: DetectorSources = {}): Promise<Detector[]> {
  return (await loadDetectorSet(sources)).detectors;
}
