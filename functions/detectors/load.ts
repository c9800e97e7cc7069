import { RuleLoadError } from '../core/errors.ts';
import { BUILT_IN_DETECTORS } from './index.ts';
import { createEc2InstanceCredentialsOffInstance, loadAwsIpRanges } from './ec2-instance-credentials-off-instance.ts';
import { loadSigmaRules } from './sigma/loader.ts';
import type { Detector } from './types.ts';

/** Where a deployment or a local run keeps its own rules and evidence. */
export interface DetectorSources {
  /** A folder of Sigma rules (product aws, service cloudtrail). */
  sigmaDir?: string;
  /** AWS's published ip-ranges.json, evidence for the off-instance detector. */
  awsIpRangesFile?: string;
}

/**
 * The detectors of a run: the built-in registry (the off-instance detector built with the user's
 * evidence files) followed by the user's Sigma rules. A rule that cannot be loaded stops here,
 * before any record is read, with the file and the reason.
 */
export async function loadDetectors(sources: DetectorSources = {}): Promise<Detector[]> {
  const detectors: Detector[] = [...BUILT_IN_DETECTORS];
  if (sources.awsIpRangesFile) {
    const awsIpRanges = await loadAwsIpRanges(sources.awsIpRangesFile);
    const index = detectors.findIndex((d) => d.meta.id === 'ec2-instance-credentials-off-instance');
    const configured = createEc2InstanceCredentialsOffInstance({ awsIpRanges });
    if (index >= 0) detectors[index] = configured;
    else detectors.push(configured);
  }
  if (sources.sigmaDir) {
    const builtInIds = new Set(detectors.map((d) => d.meta.id));
    for (const rule of await loadSigmaRules(sources.sigmaDir)) {
      if (builtInIds.has(rule.meta.id)) throw new RuleLoadError(rule.meta.source ?? sources.sigmaDir, `id ${rule.meta.id} is already a built-in detector`);
      detectors.push(rule);
    }
  }
  return detectors;
}
