import type { CloudTrailRecord } from './cloudtrail.ts';
import type { CorrelatingDetector } from './correlation.ts';

export type { CorrelatingDetector, Observation, Verdict } from './correlation.ts';

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** How a detector treats calls that failed (records with an errorCode). */
export const FAILED_CALLS = {
  /** Failed calls match exactly like successful ones (the workshop's detectors). */
  matched: 'matched',
  /** Failed calls never match. */
  ignored: 'ignored',
  /** Failed calls match at a lower severity, flagged as attempts. */
  lowerSeverity: 'lower-severity',
} as const;
export type FailedCallHandling = (typeof FAILED_CALLS)[keyof typeof FAILED_CALLS];

/** What a person needs to judge and act on a finding. */
export interface DetectorMetadata {
  /** Stable id, kebab-case, the detector's file name. */
  id: string;
  title: string;
  description: string;
  severity: Severity;
  /** MITRE ATT&CK technique, e.g. `{ id: 'T1562.008', name: 'Impair Defenses: Disable or Modify Cloud Logs' }`. */
  mitre: { id: string; name: string };
  references: string[];
  falsePositives: string[];
  runbook: string;
  failedCalls: FailedCallHandling;
  /** Known weaknesses a user should weigh (the workshop's detectors keep theirs on purpose). */
  weaknesses?: string[];
  /** Where the rule came from: built in, or a Sigma file. */
  source?: string;
  /** Stratus Red Team technique ids (e.g. `aws.defense-evasion.cloudtrail-stop`) whose documented events this detector fires on. */
  stratus?: readonly string[];
  /**
   * Largest share of ordinary traffic this detector may flag, as a fraction of records; 0 when omitted.
   * Tests hold every built-in detector to it on the benchmark corpus (attack signals left out,
   * test/detectors/ordinary-traffic.test.ts) and, when set, on a realistic account day
   * (test/detectors/ordinary-accounts.test.ts, where documented false positives may also fire a few times).
   */
  ordinaryRate?: number;
}

/** A detector's verdict on one record; overrides apply to this finding only. */
export interface DetectorMatch {
  severity?: Severity;
  title?: string;
  /** One sentence on why this record matched. */
  reason?: string;
}

/**
 * Which events a detector reads: eventSource → eventNames. The name {@link ANY_EVENT_NAME} stands
 * for every eventName of that source.
 */
export type EventsBySource = Readonly<Record<string, readonly string[]>>;

/** In {@link EventsBySource}: every eventName of the source (no real event is named `*`). */
export const ANY_EVENT_NAME = '*';

/** A detector that judges each record on its own: pure, total, never throws. */
export interface StatelessDetector {
  kind: 'stateless';
  meta: DetectorMetadata;
  detect(record: CloudTrailRecord): DetectorMatch | undefined;
  /**
   * The only events `detect` can match, when it says so: Analyze then skips it for every other
   * record (see functions/detectors/prefilter.ts). Absent: it sees every record.
   */
  events?: EventsBySource;
}

export type Detector = StatelessDetector | CorrelatingDetector;

/** A match as a stateless detector most often returns it. */
export const MATCH: DetectorMatch = Object.freeze({});
