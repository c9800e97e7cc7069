import { apiCallDetector, at, includesValue, isFalse, label, listOf, objectsOf, stringAt, type Json } from './lib.ts';
import { techniqueUrl } from './mitre.ts';
import { FAILED_CALLS } from './types.ts';

/** Why basic event selectors log fewer than all management events, or undefined when they log all. */
function basicGap(selectors: Json[]): string | undefined {
  const including = selectors.filter((selector) => !isFalse(selector.includeManagementEvents));
  if (including.length === 0) return 'no event selector includes management events';
  const gaps = including.map((selector) => {
    const readWrite = selector.readWriteType;
    const excluded = Array.isArray(selector.excludeManagementEventSources)
      ? selector.excludeManagementEventSources
      : [];
    const parts: string[] = [];
    // ReadWriteType defaults to All when omitted.
    if (readWrite !== undefined && readWrite !== 'All')
      parts.push(`only ${String(readWrite)} management events are logged`);
    if (excluded.length > 0) parts.push(`management events from ${excluded.map(String).join(', ')} are excluded`);
    return parts.join(' and ');
  });
  return gaps.includes('') ? undefined : gaps[0];
}

/** Why advanced event selectors log fewer than all management events, or undefined when they log all. */
function advancedGap(selectors: Json[]): string | undefined {
  const management = selectors
    .map((selector) => objectsOf(listOf(selector.fieldSelectors)))
    .filter((fields) =>
      fields.some((field) => field.field === 'eventCategory' && includesValue(field.equals, 'Management')),
    );
  if (management.length === 0) return 'no advanced event selector logs management events';
  // A management selector with any other field condition (readOnly, eventSource...) logs only part of them.
  const narrowing = management.map((fields) =>
    fields.filter((field) => field.field !== 'eventCategory').map((field) => String(field.field)),
  );
  if (narrowing.some((fields) => fields.length === 0)) return undefined;
  return `management events are narrowed by ${narrowing[0]!.join(', ')}`;
}

/**
 * CloudTrail `PutEventSelectors` that leaves the trail logging fewer than all management events
 * (read and write, every event source).
 */
export const cloudtrailEventSelectorsDropManagement = apiCallDetector(
  {
    id: 'cloudtrail-event-selectors-drop-management',
    title: 'CloudTrail event selectors drop management events',
    description:
      'A CloudTrail PutEventSelectors call after which the trail no longer logs all management events. Basic selectors: no selector has IncludeManagementEvents true with ReadWriteType All and no ExcludeManagementEventSources. Advanced selectors: no selector matches eventCategory = Management without further field conditions (readOnly, eventSource...). The trail keeps running, so StopLogging checks miss it.',
    severity: 'high',
    mitre: { id: 'T1562.008', name: 'Impair Defenses: Disable or Modify Cloud Logs' },
    references: [
      'https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_PutEventSelectors.html',
      'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-management-events-with-cloudtrail.html',
      techniqueUrl('T1562.008'),
    ],
    falsePositives: [
      'A trail dedicated to data events (another trail logs management events).',
      'Excluding high-volume KMS or RDS Data API events to save cost, a documented CloudTrail option.',
    ],
    runbook:
      "Check GetEventSelectors on the trail and whether another trail (or the organisation trail) still logs all management events. If not planned, restore the selectors from infrastructure-as-code and review the principal's calls since the change.",
    failedCalls: FAILED_CALLS.lowerSeverity,
    stratus: ['aws.defense-evasion.cloudtrail-event-selectors'],
    weaknesses: ['It judges the selectors of this trail only: it cannot know whether another trail covers the gap.'],
  },
  { 'cloudtrail.amazonaws.com': ['PutEventSelectors'] },
  (params) => {
    const basic = at(params, 'eventSelectors');
    const advanced = at(params, 'advancedEventSelectors');
    const gap = Array.isArray(basic)
      ? basicGap(objectsOf(basic))
      : Array.isArray(advanced)
        ? advancedGap(objectsOf(advanced))
        : undefined;
    return gap && `PutEventSelectors requested on ${label('trail', stringAt(params, 'trailName'))} where ${gap}.`;
  },
);
