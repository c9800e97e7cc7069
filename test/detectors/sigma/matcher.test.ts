import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SigmaRuleError } from '../../../functions/detectors/sigma/errors.ts';
import { compileSelection } from '../../../functions/detectors/sigma/matcher.ts';
import { aRecord, anIamUser } from '../../helpers/records.ts';

/** Whether the selection `definition` (as parsed from YAML) matches `record`. */
function matches(definition: unknown, record: unknown): boolean {
  return compileSelection('sel', definition)(record);
}

/** The reason a selection is refused with. */
function refusal(definition: unknown, name = 'sel'): string {
  let caught: unknown;
  try {
    compileSelection(name, definition);
  } catch (error) {
    caught = error;
  }
  assert.instance(caught, SigmaRuleError, 'selection was compiled');
  return (caught as SigmaRuleError).reason;
}

const CompileSelection = suite('compileSelection');

CompileSelection('a map matches only when every field matches (AND)', () => {
  const definition = { eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging' };
  assert.ok(matches(definition, aRecord({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging' })));
  assert.not.ok(matches(definition, aRecord({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'StartLogging' })));
});

CompileSelection('a value list under one field matches any of its values (OR)', () => {
  const definition = { eventName: ['StopLogging', 'DeleteTrail'] };
  assert.ok(matches(definition, aRecord({ eventName: 'DeleteTrail' })));
  assert.not.ok(matches(definition, aRecord({ eventName: 'CreateTrail' })));
});

CompileSelection('a list of maps matches when any map matches (OR of maps)', () => {
  const definition = [{ eventName: 'StopLogging' }, { eventSource: 'guardduty.amazonaws.com' }];
  assert.ok(matches(definition, aRecord({ eventName: 'StopLogging' })));
  assert.ok(matches(definition, aRecord({ eventSource: 'guardduty.amazonaws.com' })));
  assert.not.ok(matches(definition, aRecord()));
});

CompileSelection('plain values match the whole value, case-insensitively', () => {
  assert.ok(matches({ eventName: 'stoplogging' }, aRecord({ eventName: 'StopLogging' })));
  assert.ok(matches({ eventName: 'STOPLOGGING' }, aRecord({ eventName: 'StopLogging' })));
  assert.not.ok(matches({ eventName: 'Stop' }, aRecord({ eventName: 'StopLogging' })));
  assert.not.ok(matches({ eventName: 'Logging' }, aRecord({ eventName: 'StopLogging' })));
});

CompileSelection('* matches any run of characters, including none and newlines', () => {
  assert.ok(matches({ eventName: 'Delete*' }, aRecord({ eventName: 'DeleteTrail' })));
  assert.ok(matches({ eventName: 'Delete*' }, aRecord({ eventName: 'Delete' })));
  assert.ok(matches({ eventName: '*Trail' }, aRecord({ eventName: 'DeleteTrail' })));
  assert.ok(
    matches(
      { 'requestParameters.policy': '*Allow*' },
      aRecord({ requestParameters: { policy: '{\n"Effect": "Allow"\n}' } }),
    ),
  );
  assert.not.ok(matches({ eventName: 'Delete*' }, aRecord({ eventName: 'CreateTrail' })));
});

CompileSelection('? matches exactly one character', () => {
  assert.ok(matches({ eventName: 'Stop?ogging' }, aRecord({ eventName: 'StopLogging' })));
  assert.not.ok(matches({ eventName: 'Stop?ogging' }, aRecord({ eventName: 'Stopogging' })));
  assert.not.ok(matches({ eventName: 'Stop?ogging' }, aRecord({ eventName: 'StopXLogging' })));
});

CompileSelection('escaped \\* and \\? are literal characters', () => {
  assert.ok(matches({ userAgent: 'agent\\*' }, aRecord({ userAgent: 'agent*' })));
  assert.not.ok(matches({ userAgent: 'agent\\*' }, aRecord({ userAgent: 'agent-1' })));
  assert.ok(matches({ userAgent: 'why\\?' }, aRecord({ userAgent: 'why?' })));
  assert.not.ok(matches({ userAgent: 'why\\?' }, aRecord({ userAgent: 'whyX' })));
});

CompileSelection('\\\\ is one literal backslash, and still lets a following * be a wildcard', () => {
  assert.ok(matches({ userAgent: 'C:\\\\tools' }, aRecord({ userAgent: 'C:\\tools' })));
  assert.ok(matches({ userAgent: 'C:\\\\*' }, aRecord({ userAgent: 'C:\\anything' })));
  assert.not.ok(matches({ userAgent: 'C:\\\\*' }, aRecord({ userAgent: 'C:anything' })));
});

CompileSelection('a backslash before any other character is literal', () => {
  assert.ok(matches({ userAgent: 'C:\\tools' }, aRecord({ userAgent: 'C:\\tools' })));
});

CompileSelection('regex metacharacters in plain values are literal', () => {
  assert.ok(matches({ sourceIPAddress: '192.0.2.1' }, aRecord({ sourceIPAddress: '192.0.2.1' })));
  assert.not.ok(matches({ sourceIPAddress: '192.0.2.1' }, aRecord({ sourceIPAddress: '192x0x2x1' })));
  assert.ok(matches({ userAgent: '(a+b)[c]' }, aRecord({ userAgent: '(A+B)[C]' })));
});

CompileSelection('contains matches anywhere and honours wildcards inside', () => {
  assert.ok(matches({ 'userAgent|contains': 'CLI' }, aRecord({ userAgent: 'aws-cli/2.15.0' })));
  assert.ok(matches({ 'userAgent|contains': 'cli/2.*.0' }, aRecord({ userAgent: 'aws-cli/2.15.0 Python' })));
  assert.not.ok(matches({ 'userAgent|contains': 'boto' }, aRecord({ userAgent: 'aws-cli/2.15.0' })));
});

CompileSelection('startswith and endswith anchor one end only', () => {
  assert.ok(matches({ 'eventName|startswith': 'delete' }, aRecord({ eventName: 'DeleteTrail' })));
  assert.not.ok(matches({ 'eventName|startswith': 'Trail' }, aRecord({ eventName: 'DeleteTrail' })));
  assert.ok(matches({ 'eventSource|endswith': '.AMAZONAWS.COM' }, aRecord({ eventSource: 'ec2.amazonaws.com' })));
  assert.not.ok(matches({ 'eventSource|endswith': 'ec2' }, aRecord({ eventSource: 'ec2.amazonaws.com' })));
  assert.ok(matches({ 'eventName|startswith': 'Del?te' }, aRecord({ eventName: 'DeleteTrail' })));
});

CompileSelection('contains|all needs every value to be present (AND)', () => {
  const definition = { 'userAgent|contains|all': ['aws-cli', 'Python'] };
  assert.ok(matches(definition, aRecord({ userAgent: 'aws-cli/2.15.0 Python/3.11' })));
  assert.not.ok(matches(definition, aRecord({ userAgent: 'aws-cli/2.15.0' })));
});

CompileSelection('all on a plain list needs every pattern to match the same field', () => {
  const definition = { 'eventName|all': ['Delete*', '*Trail'] };
  assert.ok(matches(definition, aRecord({ eventName: 'DeleteTrail' })));
  assert.not.ok(matches(definition, aRecord({ eventName: 'DeleteBucket' })));
});

CompileSelection('re is a case-sensitive, unanchored JavaScript regex', () => {
  assert.ok(matches({ 'eventName|re': '^(Stop|Delete)' }, aRecord({ eventName: 'StopLogging' })));
  assert.not.ok(matches({ 'eventName|re': '^(stop|delete)' }, aRecord({ eventName: 'StopLogging' })));
  assert.ok(matches({ 'eventName|re': 'Log' }, aRecord({ eventName: 'StopLogging' })));
});

CompileSelection('a leading (?i) in re, or the i sub-modifier, makes it case-insensitive', () => {
  assert.ok(matches({ 'eventName|re': '(?i)^stoplogging$' }, aRecord({ eventName: 'StopLogging' })));
  assert.ok(matches({ 'eventName|re|i': '^stoplogging$' }, aRecord({ eventName: 'StopLogging' })));
});

CompileSelection('re values are not wildcard patterns', () => {
  assert.ok(matches({ 'userAgent|re': 'a.*z' }, aRecord({ userAgent: 'abcz' })));
  assert.not.ok(matches({ 'userAgent|re': '^a\\*$' }, aRecord({ userAgent: 'abc' })));
});

CompileSelection('numbers and booleans compare as strings on both sides', () => {
  assert.ok(matches({ readOnly: 'true' }, aRecord({ readOnly: true })));
  assert.ok(matches({ readOnly: true }, aRecord({ readOnly: true })));
  assert.not.ok(matches({ readOnly: 'true' }, aRecord({ readOnly: false })));
  assert.ok(matches({ 'responseElements.port': '22' }, aRecord({ responseElements: { port: 22 } })));
  assert.ok(matches({ 'responseElements.port': 22 }, aRecord({ responseElements: { port: '22' } })));
  assert.ok(matches({ 'responseElements.port|startswith': '2' }, aRecord({ responseElements: { port: 22 } })));
});

CompileSelection('null matches a missing field or a JSON null, not a present value', () => {
  assert.ok(matches({ errorCode: null }, aRecord()));
  assert.ok(matches({ requestParameters: null }, aRecord({ requestParameters: null })));
  assert.ok(matches({ 'requestParameters.bucketName': null }, aRecord({ requestParameters: null })));
  assert.not.ok(matches({ errorCode: null }, aRecord({ errorCode: 'AccessDenied' })));
  assert.ok(matches({ errorCode: [null, 'AccessDenied'] }, aRecord({ errorCode: 'AccessDenied' })));
});

CompileSelection('a plain value never matches a missing field or a JSON null', () => {
  assert.not.ok(matches({ errorCode: '*' }, aRecord()));
  assert.not.ok(matches({ 'errorCode|contains': '' }, aRecord()));
  assert.not.ok(matches({ requestParameters: 'null' }, aRecord({ requestParameters: null })));
  assert.not.ok(matches({ 'requestParameters.bucketName': '*' }, aRecord({ requestParameters: null })));
});

CompileSelection('an object value never matches a string pattern', () => {
  const record = aRecord({ requestParameters: { bucketName: 'logs' } });
  assert.not.ok(matches({ requestParameters: '*' }, record));
  assert.not.ok(matches({ 'requestParameters|contains': 'logs' }, record));
});

CompileSelection('dot notation reaches into nested objects', () => {
  assert.ok(matches({ 'userIdentity.type': 'root' }, aRecord({ userIdentity: { type: 'Root' } })));
  assert.ok(
    matches(
      { 'userIdentity.sessionContext.attributes.mfaAuthenticated': 'false' },
      aRecord({
        userIdentity: anIamUser({ sessionContext: { attributes: { mfaAuthenticated: 'false' } } }),
      }),
    ),
  );
  assert.not.ok(matches({ 'userIdentity.type.deeper': 'x' }, aRecord()));
});

CompileSelection('a path crossing arrays matches when any element matches', () => {
  const record = aRecord({
    requestParameters: {
      ipPermissions: {
        items: [
          { ipRanges: { items: [{ cidrIp: '192.0.2.0/24' }] } },
          { ipRanges: { items: [{ cidrIp: '10.0.0.0/8' }, { cidrIp: '0.0.0.0/0' }] } },
        ],
      },
    },
  });
  const path = 'requestParameters.ipPermissions.items.ipRanges.items.cidrIp';
  assert.ok(matches({ [path]: '0.0.0.0/0' }, record));
  assert.not.ok(matches({ [path]: '198.51.100.0/24' }, record));
});

CompileSelection('an array value at the end of the path matches when any element matches', () => {
  const record = aRecord({ requestParameters: { userList: ['bob', 'alice'] } });
  assert.ok(matches({ 'requestParameters.userList': 'ALICE' }, record));
  assert.not.ok(matches({ 'requestParameters.userList': 'carol' }, record));
  assert.ok(matches({ 'requestParameters.userList': null }, aRecord({ requestParameters: { userList: [] } })));
});

CompileSelection('never throws on odd records and never reads inherited properties', () => {
  const test = compileSelection('sel', { 'userIdentity.type': 'Root', constructor: '*' });
  for (const odd of [
    null,
    undefined,
    42,
    'text',
    [],
    [null],
    { userIdentity: null },
    { userIdentity: [1, null, { type: 'Root' }] },
  ]) {
    assert.type(test(odd), 'boolean');
  }
  assert.not.ok(matches({ constructor: '*' }, aRecord()));
  assert.not.ok(matches({ 'toString.name': '*' }, {}));
});

CompileSelection('refuses unsupported modifiers, naming the modifier, field and selection', () => {
  for (const modifier of ['base64', 'base64offset', 'windash', 'gte', 'neq', 'utf16le']) {
    assert.is(
      refusal({ [`sourceIPAddress|${modifier}`]: '192.0.2.0/24' }),
      `unsupported modifier '${modifier}' on field sourceIPAddress in selection 'sel'`,
    );
  }
  assert.is(
    refusal({ 'eventName|contains|base64': 'x' }),
    "unsupported modifier 'base64' on field eventName in selection 'sel'",
  );
  assert.is(
    refusal({ 'src_ip|expand': '%Legitimate_IP_Ranges%' }),
    "unsupported modifier 'expand' on field src_ip in selection 'sel' (a placeholder the rule author must fill in for their environment)",
  );
});

CompileSelection('refuses unknown modifiers', () => {
  assert.is(
    refusal({ 'eventName|sortof': 'x' }, 'pick'),
    "unknown modifier 'sortof' on field eventName in selection 'pick'",
  );
  assert.is(refusal({ 'eventName|': 'x' }), "unknown modifier '(empty)' on field eventName in selection 'sel'");
});

CompileSelection('refuses modifier combinations that contradict each other', () => {
  assert.match(
    refusal({ 'eventName|contains|endswith': 'x' }),
    "modifiers 'contains' and 'endswith' cannot be combined",
  );
  assert.match(refusal({ 'eventName|re|contains': 'x' }), "modifiers 're' and 'contains' cannot be combined");
  assert.match(refusal({ 'eventName|i': 'x' }), "modifier 'i' is only valid after 're'");
  assert.match(refusal({ 'eventName|contains|contains': 'x' }), "modifier 'contains' repeated");
  assert.match(refusal({ 'eventName|contains|all': 'x' }), "modifier 'all' needs at least two values");
  assert.match(refusal({ 'errorCode|contains': null }), 'null cannot take modifiers on field errorCode');
});

CompileSelection('refuses an invalid regex at compile time', () => {
  assert.match(
    refusal({ 'eventName|re': '(unclosed' }),
    "regular expression '(unclosed' on field eventName in selection 'sel' cannot run",
  );
  // Lookaround and backreferences need backtracking: RE2 refuses them, so the rule is refused at load.
  assert.match(refusal({ 'eventName|re': 'Get(?!Object)' }), 'cannot run in a linear-time engine (RE2)');
  assert.match(refusal({ 'eventName|re': '(a)\\1' }), 'cannot run in a linear-time engine (RE2)');
});

CompileSelection('refuses keyword selections', () => {
  assert.match(refusal(['StopLogging', 'DeleteTrail'], 'keywords'), "keyword selection 'keywords'");
  assert.match(refusal('StopLogging', 'keywords'), "keyword selection 'keywords'");
  assert.match(refusal({ '|all': ['a', 'b'] }, 'keywords'), "keyword selection 'keywords'");
});

CompileSelection('refuses empty and malformed selections', () => {
  assert.is(refusal({}), "selection 'sel' is an empty map");
  assert.is(refusal([]), "selection 'sel' is an empty list");
  assert.is(refusal({ eventName: [] }), "empty value list on field eventName in selection 'sel'");
  assert.match(refusal({ requestParameters: { bucketName: 'x' } }), 'not a map, on field requestParameters');
  assert.match(refusal({ eventName: [['x']] }), 'not a nested list');
  assert.match(refusal({ 'a..b': 'x' }), 'empty path segment');
});

CompileSelection.run();
