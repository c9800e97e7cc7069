import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RuleLoadError } from '../../../functions/core/errors.ts';
import {
  compileSigmaRule,
  compileSigmaYaml,
  logsourceMismatch,
  parseSigmaYaml,
} from '../../../functions/detectors/sigma/rule.ts';
import { aRecord } from '../../helpers/records.ts';

const FILE = 'rules/test_rule.yml';

/** A CloudTrail rule's YAML; `detection` is the indented body of `detection:`, `head` top-level lines. */
function ruleYaml(detection: string, head = 'title: CloudTrail Logging Stopped'): string {
  return `${head}
logsource:
  product: aws
  service: cloudtrail
detection:
${detection}
`;
}

const STOP_LOGGING = `  selection:
    eventSource: cloudtrail.amazonaws.com
    eventName: StopLogging
  condition: selection`;

/** The RuleLoadError `run` is refused with. */
function refusal(run: () => unknown): RuleLoadError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  assert.instance(caught, RuleLoadError, 'rule was compiled');
  return caught as RuleLoadError;
}

/** The reason a rule text is refused with; checks the error names the file. */
function reasonFor(text: string): string {
  const error = refusal(() => compileSigmaYaml(text, FILE));
  assert.is(error.file, FILE);
  assert.ok(error.message.startsWith(`${FILE}: `));
  return error.reason;
}

const CompileSigmaYaml = suite('compileSigmaYaml');

CompileSigmaYaml('compiles a rule into a stateless detector that matches its events', () => {
  const detector = compileSigmaYaml(ruleYaml(STOP_LOGGING), FILE);
  assert.is(detector.kind, 'stateless');
  assert.equal(detector.detect(aRecord({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging' })), {
    reason: "Sigma rule 'CloudTrail Logging Stopped' matched",
  });
  assert.is(
    detector.detect(aRecord({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'StartLogging' })),
    undefined,
  );
});

CompileSigmaYaml('maps the rule metadata onto the detector metadata', () => {
  const head = `title: 'Trail: Stopped (again)!'
id: 00000000-0000-4000-8000-000000000001
description: Someone stopped the trail.
references:
  - https://example.com/a
  - https://example.com/b
falsepositives: Planned maintenance
tags:
  - attack.defense-evasion
  - attack.t1562.008
  - attack.t1070
level: informational`;
  const { meta } = compileSigmaYaml(ruleYaml(STOP_LOGGING, head), FILE);
  assert.equal(meta, {
    id: 'sigma-trail-stopped-again',
    title: 'Trail: Stopped (again)!',
    description: 'Someone stopped the trail.',
    severity: 'info',
    mitre: { id: 'T1562.008', name: '' },
    references: ['https://example.com/a', 'https://example.com/b'],
    falsePositives: ['Planned maintenance'],
    runbook: meta.runbook,
    failedCalls: 'matched',
    source: FILE,
  });
  assert.match(meta.runbook, FILE);
  assert.match(meta.runbook, '00000000-0000-4000-8000-000000000001');
});

CompileSigmaYaml('maps every Sigma level to a severity', () => {
  const levels = { informational: 'info', low: 'low', medium: 'medium', high: 'high', critical: 'critical' };
  for (const [level, severity] of Object.entries(levels)) {
    assert.is(compileSigmaYaml(ruleYaml(STOP_LOGGING, `title: T\nlevel: ${level}`), FILE).meta.severity, severity);
  }
  assert.is(compileSigmaYaml(ruleYaml(STOP_LOGGING, 'title: T'), FILE).meta.severity, 'medium');
});

CompileSigmaYaml('gives empty MITRE, references and false positives when the rule has none', () => {
  const { meta } = compileSigmaYaml(ruleYaml(STOP_LOGGING, 'title: T\ntags: [attack.defense-evasion]'), FILE);
  assert.equal(meta.mitre, { id: '', name: '' });
  assert.equal(meta.references, []);
  assert.equal(meta.falsePositives, []);
  assert.is(meta.description, 'T');
});

CompileSigmaYaml('falls back to the file stem for the id when the title gives none', () => {
  assert.is(
    compileSigmaYaml(ruleYaml(STOP_LOGGING, 'description: no title'), 'x/aws_stop_logging.yml').meta.id,
    'sigma-aws-stop-logging',
  );
  assert.is(
    compileSigmaYaml(ruleYaml(STOP_LOGGING, 'title: "***"'), 'x/aws_stop_logging.yaml').meta.id,
    'sigma-aws-stop-logging',
  );
});

CompileSigmaYaml('a list of conditions matches when any of them does', () => {
  const detector = compileSigmaYaml(
    ruleYaml(`  stop:
    eventName: StopLogging
  delete:
    eventName: DeleteTrail
  condition:
    - stop
    - delete`),
    FILE,
  );
  assert.ok(detector.detect(aRecord({ eventName: 'StopLogging' })));
  assert.ok(detector.detect(aRecord({ eventName: 'DeleteTrail' })));
  assert.not.ok(detector.detect(aRecord({ eventName: 'CreateTrail' })));
});

CompileSigmaYaml('a filter with not and null works end to end', () => {
  const detector = compileSigmaYaml(
    ruleYaml(`  selection:
    eventName|startswith: Delete
  filter_failed:
    errorCode: null
  condition: selection and filter_failed`),
    FILE,
  );
  assert.ok(detector.detect(aRecord({ eventName: 'DeleteTrail' })));
  assert.not.ok(detector.detect(aRecord({ eventName: 'DeleteTrail', errorCode: 'AccessDenied' })));
});

CompileSigmaYaml('numbers keep their YAML source text, since Sigma compares strings', () => {
  const detector = compileSigmaYaml(
    ruleYaml(`  selection:
    eventVersion: 1.10
  condition: selection`),
    FILE,
  );
  assert.ok(detector.detect(aRecord({ eventVersion: '1.10' })));
  assert.not.ok(detector.detect(aRecord({ eventVersion: '1.1' })));
});

CompileSigmaYaml('YAML quoting reaches the matcher as written (escapes, booleans as strings)', () => {
  const detector = compileSigmaYaml(
    ruleYaml(`  selection:
    userAgent: 'tool\\*'
    readOnly: 'true'
  condition: selection`),
    FILE,
  );
  assert.ok(detector.detect(aRecord({ userAgent: 'TOOL*', readOnly: true })));
  assert.not.ok(detector.detect(aRecord({ userAgent: 'tool-x', readOnly: true })));
});

CompileSigmaYaml('detect never throws on odd records', () => {
  const detector = compileSigmaYaml(
    ruleYaml(`  selection:
    userIdentity.sessionContext.sessionIssuer.type: Role
    requestParameters.items.name|contains: x
  condition: selection`),
    FILE,
  );
  const odd = [
    aRecord({ userIdentity: undefined, requestParameters: null }),
    aRecord({ requestParameters: { items: [null, 1, [{ name: 'x' }]] } }),
    {},
  ];
  for (const record of odd) assert.is(detector.detect(record), undefined);
});

CompileSigmaYaml('refuses unsupported modifiers, naming file, construct and place', () => {
  assert.is(
    reasonFor(
      ruleYaml(`  sel:
    sourceIPAddress|windash: 192.0.2.0/24
  condition: sel`),
    ),
    "unsupported modifier 'windash' on field sourceIPAddress in selection 'sel'",
  );
});

CompileSigmaYaml('refuses aggregations (they need the correlation stage), near and keyword selections', () => {
  assert.match(
    reasonFor(ruleYaml(`${STOP_LOGGING} | count() > 5\n  timeframe: 5m`)),
    'an aggregation (| count) needs the correlation stage',
  );
  assert.match(
    reasonFor(ruleYaml(`${STOP_LOGGING} | count() > 5`)),
    'an aggregation (| count) needs the correlation stage',
  );
  assert.match(
    reasonFor(
      ruleYaml(`  selection:\n    eventName: a\n  other:\n    eventName: b\n  condition: selection near other`),
    ),
    "'near'",
  );
  assert.match(
    reasonFor(ruleYaml(`  keywords:\n    - StopLogging\n  condition: keywords`)),
    "keyword selection 'keywords'",
  );
});

CompileSigmaYaml('refuses a condition naming a selection that does not exist', () => {
  assert.match(reasonFor(ruleYaml(`${STOP_LOGGING} and not filter`)), "condition names selection 'filter'");
});

CompileSigmaYaml('refuses empty or incomplete detections', () => {
  assert.is(reasonFor(ruleYaml('  condition: selection')), 'empty detection: no selections');
  assert.is(reasonFor(ruleYaml('  {}')), 'empty detection: no selections');
  assert.is(reasonFor(ruleYaml('  selection:\n    eventName: x')), 'detection has no condition');
  assert.is(reasonFor('title: T\nlogsource: {product: aws, service: cloudtrail}\n'), 'rule has no detection');
  assert.match(
    reasonFor(ruleYaml('  selection:\n    eventName: x\n  condition: [selection, {a: b}]')),
    'condition #2 must be a string',
  );
});

CompileSigmaYaml('refuses correlation rules and rule collections (the folder loader takes both)', () => {
  assert.match(
    reasonFor('title: Many stops\ncorrelation:\n  type: event_count\n  rules: [x]\n'),
    'a correlation rule is not a detection rule',
  );
  assert.match(
    reasonFor(`${ruleYaml(STOP_LOGGING)}---\n${ruleYaml(STOP_LOGGING, 'title: Second')}`),
    'rule collections (2 YAML documents in one file)',
  );
});

CompileSigmaYaml('refuses another log source, an unknown level and invalid YAML', () => {
  assert.match(
    reasonFor(`title: T\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n${STOP_LOGGING}\n`),
    'logsource is { product: windows, category: process_creation }, not { product: aws, service: cloudtrail }',
  );
  assert.match(reasonFor(ruleYaml(STOP_LOGGING, 'title: T\nlevel: severe')), "unknown level 'severe'");
  assert.match(reasonFor('title: [unclosed'), 'invalid YAML');
  assert.match(reasonFor(ruleYaml(STOP_LOGGING, 'title: T\ntitle: again')), 'invalid YAML');
});

CompileSigmaYaml.run();

const CompileSigmaRule = suite('compileSigmaRule');

CompileSigmaRule('compiles an already parsed document', () => {
  const detector = compileSigmaRule(
    {
      title: 'GuardDuty Detector Deleted',
      logsource: { product: 'AWS', service: 'CloudTrail' },
      detection: { selection: { eventName: 'DeleteDetector' }, condition: 'selection' },
    },
    FILE,
  );
  assert.is(detector.meta.id, 'sigma-guardduty-detector-deleted');
  assert.ok(detector.detect(aRecord({ eventName: 'DeleteDetector' })));
});

CompileSigmaRule('refuses a document that is not a rule', () => {
  assert.match(refusal(() => compileSigmaRule(['a'], FILE)).reason, 'not a Sigma rule');
  assert.match(refusal(() => compileSigmaRule({ title: 'T' }, FILE)).reason, 'no logsource');
});

CompileSigmaRule.run();

const ParseSigmaYaml = suite('parseSigmaYaml');

ParseSigmaYaml('returns one value per non-empty document, numbers as their source text', () => {
  assert.equal(parseSigmaYaml('a: 0x40\nb: null\n---\n---\nc: true\n', FILE), [{ a: '0x40', b: null }, { c: true }]);
  assert.equal(parseSigmaYaml('', FILE), []);
});

ParseSigmaYaml.run();

const LogsourceMismatch = suite('logsourceMismatch');

LogsourceMismatch('accepts aws/cloudtrail in any case, with or without a category', () => {
  assert.is(logsourceMismatch({ logsource: { product: 'aws', service: 'cloudtrail' } }), undefined);
  assert.is(logsourceMismatch({ logsource: { product: 'AWS', service: 'CloudTrail', category: 'x' } }), undefined);
});

LogsourceMismatch('says why other documents are not CloudTrail rules', () => {
  assert.is(
    logsourceMismatch({ logsource: { product: 'aws', service: 's3' } }),
    'logsource is { product: aws, service: s3 }, not { product: aws, service: cloudtrail }',
  );
  assert.is(logsourceMismatch({ title: 'x' }), 'no logsource');
  assert.match(logsourceMismatch('text') ?? '', 'not a map');
});

LogsourceMismatch.run();
