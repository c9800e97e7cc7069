import type { CloudTrailRecord } from '../core/cloudtrail.ts';
import type { CorrelatingDetector } from '../core/correlation.ts';
import { ANY_EVENT_NAME, type Detector, type EventsBySource, type StatelessDetector } from '../core/detector.ts';

/** The detectors that may match or observe one record, each list in the order they were given. */
export interface Candidates {
  stateless: readonly StatelessDetector[];
  correlating: readonly CorrelatingDetector[];
}

interface SourceEntry {
  /** Candidates for an eventName no detector of this source names. */
  anyName: Candidates;
  byName: Map<string, Candidates>;
}

/**
 * The prefilter of Analyze: built once from the detectors' declared `events`, it answers per
 * record which detectors can match or observe it, with two map lookups, so a record runs only
 * those (most records: the few that read every record). A detector without `events` is a
 * candidate for every record; one whose `events` name {@link ANY_EVENT_NAME} for a source, for
 * every record of that source. Only declared names are keys, so hostile eventNames add no entry.
 *
 * Exact as long as each declaration is (a detector never matches outside its `events`): the
 * prefilter test runs every built-in detector on a varied record set to hold them to it.
 */
export class DetectorIndex {
  /** Candidates of a record whose eventSource no detector names (or is not a string). */
  readonly always: Candidates;
  private readonly sources = new Map<string, SourceEntry>();

  constructor(detectors: readonly Detector[]) {
    const declared = detectors.map((detector, order) => ({ detector, order, events: eventsOf(detector) }));
    const pick = (wanted: (events: EventsBySource) => boolean) =>
      candidates(declared.filter(({ events }) => events === undefined || wanted(events)).map((d) => d.detector));
    this.always = pick(() => false);
    const names = new Map<string, Set<string>>();
    for (const { events } of declared) {
      for (const [source, list] of Object.entries(events ?? {})) {
        const known = names.get(source) ?? new Set<string>();
        for (const name of list) if (name !== ANY_EVENT_NAME) known.add(name);
        names.set(source, known);
      }
    }
    for (const [source, sourceNames] of names) {
      const listed = (events: EventsBySource) => (Object.hasOwn(events, source) ? events[source]! : []);
      const anyName = pick((events) => listed(events).includes(ANY_EVENT_NAME));
      const byName = new Map<string, Candidates>();
      for (const name of sourceNames) {
        byName.set(
          name,
          pick((events) => listed(events).includes(ANY_EVENT_NAME) || listed(events).includes(name)),
        );
      }
      this.sources.set(source, { anyName, byName });
    }
  }

  /** The detectors that may match or observe `record`. */
  candidates(record: CloudTrailRecord): Candidates {
    const source = record.eventSource;
    if (typeof source !== 'string') return this.always;
    const entry = this.sources.get(source);
    if (entry === undefined) return this.always;
    const name = record.eventName;
    return (typeof name === 'string' && entry.byName.get(name)) || entry.anyName;
  }
}

function eventsOf(detector: Detector): EventsBySource | undefined {
  const events = detector.events;
  return events !== null && typeof events === 'object' ? events : undefined;
}

function candidates(detectors: readonly Detector[]): Candidates {
  return {
    stateless: detectors.filter((d): d is StatelessDetector => d.kind === 'stateless'),
    correlating: detectors.filter((d): d is CorrelatingDetector => d.kind === 'correlating'),
  };
}
