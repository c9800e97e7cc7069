import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RuleLoadError } from '../../../functions/core/errors.ts';
import { loadSigmaFolder, loadSigmaRules } from '../../../functions/detectors/sigma/loader.ts';
import { aRecord } from '../../helpers/records.ts';
import type { StatelessDetector } from '../../../functions/detectors/types.ts';

/** A CloudTrail rule matching one eventName. */
function cloudTrailRule(title: string, eventName: string): string {
  return `title: ${title}
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventName: ${eventName}
  condition: selection
level: high
`;
}

const WINDOWS_RULE = `title: Whoami Execution
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    Image|endswith: '\\whoami.exe'
    CommandLine|windash: '-all'
  condition: selection
`;

/** Writes `files` (relative path → text) into a fresh temporary folder and returns it. */
async function folderWith(files: Record<string, string>): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'sigma-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(folder, path)), { recursive: true });
    await writeFile(join(folder, path), text);
  }
  return folder;
}

/** The RuleLoadError a load is refused with. */
async function refusal(load: Promise<unknown>): Promise<RuleLoadError> {
  let caught: unknown;
  try {
    await load;
  } catch (error) {
    caught = error;
  }
  assert.instance(caught, RuleLoadError, 'folder was loaded');
  return caught as RuleLoadError;
}

const folders: string[] = [];
async function tempFolder(files: Record<string, string>): Promise<string> {
  const folder = await folderWith(files);
  folders.push(folder);
  return folder;
}

const LoadSigmaFolder = suite('loadSigmaFolder');

LoadSigmaFolder.after(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

LoadSigmaFolder('loads .yml and .yaml files recursively, in sorted path order', async () => {
  const folder = await tempFolder({
    'b_rule.yml': cloudTrailRule('Bravo', 'StopLogging'),
    'nested/deeper/a_rule.yaml': cloudTrailRule('Alpha', 'DeleteTrail'),
    'a_rule.YML': cloudTrailRule('Charlie', 'DeleteDetector'),
    'README.md': '# not a rule',
    'notes.txt': 'title: nope',
  });
  const { detectors, ignored } = await loadSigmaFolder(folder);
  assert.equal(
    detectors.map((detector) => [detector.meta.id, detector.meta.source]),
    [
      ['sigma-charlie', join(folder, 'a_rule.YML')],
      ['sigma-bravo', join(folder, 'b_rule.yml')],
      ['sigma-alpha', join(folder, 'nested/deeper/a_rule.yaml')],
    ],
  );
  assert.equal(ignored, []);
  assert.ok((detectors[1] as StatelessDetector).detect(aRecord({ eventName: 'StopLogging' })));
});

LoadSigmaFolder(
  'ignores rules for other log sources and says why, even when they use unsupported constructs',
  async () => {
    const folder = await tempFolder({ 'win.yml': WINDOWS_RULE, 'trail.yml': cloudTrailRule('Stop', 'StopLogging') });
    const { detectors, ignored } = await loadSigmaFolder(folder);
    assert.equal(
      detectors.map((detector) => detector.meta.id),
      ['sigma-stop'],
    );
    assert.equal(ignored, [
      {
        file: join(folder, 'win.yml'),
        reason:
          'logsource is { product: windows, category: process_creation }, not { product: aws, service: cloudtrail }',
      },
    ]);
  },
);

LoadSigmaFolder('ignores empty YAML files', async () => {
  const folder = await tempFolder({ 'empty.yml': '# nothing here\n' });
  assert.equal(await loadSigmaFolder(folder), {
    detectors: [],
    warnings: [],
    ignored: [{ file: join(folder, 'empty.yml'), reason: 'no YAML document' }],
    refused: [],
    notes: [],
  });
});

LoadSigmaFolder('refuses a second rule with the same id, naming both files', async () => {
  const folder = await tempFolder({
    'one.yml': cloudTrailRule('Trail Stopped', 'StopLogging'),
    'two.yml': cloudTrailRule('trail  stopped!', 'DeleteTrail'),
  });
  const { detectors, refused } = await loadSigmaFolder(folder);
  assert.equal(
    detectors.map((detector) => detector.meta.source),
    [join(folder, 'one.yml')],
  );
  assert.equal(refused, [
    {
      file: join(folder, 'two.yml'),
      reason: `duplicate detector id 'sigma-trail-stopped': already used by ${join(folder, 'one.yml')}; give the rule a distinct title`,
    },
  ]);
});

LoadSigmaFolder('loads the rules it supports and lists every refused rule with its file and reason', async () => {
  const folder = await tempFolder({
    'good.yml': cloudTrailRule('Good', 'StopLogging'),
    'bad.yml': cloudTrailRule('Bad', 'x').replace('eventName: x', "sourceIPAddress|base64offset: 'x'"),
    'broken.yml': 'title: [unclosed',
    'placeholder.yml': cloudTrailRule('Placeholder', 'x').replace(
      'eventName: x',
      "src_ip|expand: '%Legitimate_IP_Ranges%'",
    ),
  });
  const { detectors, refused } = await loadSigmaFolder(folder);
  assert.equal(
    detectors.map((detector) => detector.meta.id),
    ['sigma-good'],
  );
  assert.equal(
    refused.map((refusal) => refusal.file),
    ['bad.yml', 'broken.yml', 'placeholder.yml'].map((name) => join(folder, name)),
  );
  assert.is(
    refused[0]!.reason,
    "unsupported modifier 'base64offset' on field sourceIPAddress in selection 'selection'",
  );
  assert.match(refused[1]!.reason, 'invalid YAML');
  assert.match(refused[2]!.reason, "unsupported modifier 'expand' on field src_ip");
});

LoadSigmaFolder(
  'strict: the first rule that cannot be compiled stops the load, naming the file, reason and how many more',
  async () => {
    const folder = await tempFolder({
      'good.yml': cloudTrailRule('Good', 'StopLogging'),
      'bad.yml': cloudTrailRule('Bad', 'x').replace('eventName: x', "sourceIPAddress|base64offset: 'x'"),
      'worse.yml': cloudTrailRule('Worse', 'x').replace('eventName: x', "sourceIPAddress|windash: 'x'"),
    });
    const error = await refusal(loadSigmaFolder(folder, { strict: true }));
    assert.is(error.file, join(folder, 'bad.yml'));
    assert.is(
      error.reason,
      "unsupported modifier 'base64offset' on field sourceIPAddress in selection 'selection' (and 1 more refused rule)",
    );
    assert.is((await refusal(loadSigmaRules(folder))).file, join(folder, 'bad.yml'));
  },
);

LoadSigmaFolder('loads a rule with fieldref (SigmaHQ aws_update_login_profile shape)', async () => {
  const folder = await tempFolder({
    'login.yml': cloudTrailRule('Login Profile Updated For Another User', 'UpdateLoginProfile').replace(
      '  condition: selection',
      '  filter:\n    userIdentity.arn|contains|fieldref: requestParameters.userName\n  condition: selection and not filter',
    ),
  });
  const { detectors, refused } = await loadSigmaFolder(folder);
  assert.equal(refused, []);
  const detector = detectors[0]! as StatelessDetector;
  const update = (target: string) =>
    aRecord({ eventName: 'UpdateLoginProfile', requestParameters: { userName: target } });
  assert.ok(detector.detect(update('bob')));
  assert.is(detector.detect(update('alice')), undefined);
});

LoadSigmaFolder('loads correlation rules and rule collections, each document on its own', async () => {
  const folder = await tempFolder({
    'many.yml': `${cloudTrailRule('A', 'x')}---\n${cloudTrailRule('B', 'y')}`,
    'corr.yml':
      'title: Many A\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 5m\n  condition: {gte: 3}\n',
  });
  const named = await tempFolder({
    'many.yml': `${cloudTrailRule('A', 'x')}name: a\n---\n${cloudTrailRule('B', 'y')}`,
    'corr.yml':
      'title: Many A\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 5m\n  condition: {gte: 3}\n',
  });
  const unnamed = await loadSigmaFolder(folder);
  assert.equal(unnamed.refused, [
    {
      file: join(folder, 'corr.yml'),
      reason: "correlation refers to rule 'a', which no loaded CloudTrail rule has as name or id",
    },
  ]);
  const { detectors, refused } = await loadSigmaFolder(named);
  assert.equal(refused, []);
  // Rule A runs inside the correlation only (Sigma's generate defaults to false).
  assert.equal(
    detectors.map((detector) => [detector.meta.id, detector.kind]),
    [
      ['sigma-many-a', 'correlating'],
      ['sigma-b', 'stateless'],
    ],
  );
  const windows = await tempFolder({ 'many.yml': `${WINDOWS_RULE}---\n${WINDOWS_RULE}` });
  assert.is((await loadSigmaFolder(windows)).ignored.length, 1);
});

LoadSigmaFolder('warns about rules that load but can never match, naming the rule, the field and why', async () => {
  const folder = await tempFolder({
    'object.yml': cloudTrailRule('Object', 'PutUserPolicy').replace(
      '  condition: selection',
      "  policy:\n    requestParameters|contains: 'Allow'\n  condition: selection and policy",
    ),
    'absent.yml': cloudTrailRule('Absent', 'ListBuckets').replace(
      '  condition: selection',
      '  filter:\n    type: AssumedRole\n  condition: selection and not filter',
    ),
    'cased.yml': cloudTrailRule('Cased', 'x').replace('eventName: x', 'eventname: StopLogging'),
  });
  const { detectors, warnings } = await loadSigmaFolder(folder);
  assert.is(detectors.length, 3);
  assert.equal(warnings, [
    {
      file: join(folder, 'absent.yml'),
      rule: 'sigma-absent',
      field: 'type',
      reason: "CloudTrail records have no field 'type' (selection 'filter')",
    },
    {
      file: join(folder, 'cased.yml'),
      rule: 'sigma-cased',
      field: 'eventname',
      reason:
        "CloudTrail records have no field 'eventname' (field names are case-sensitive: 'eventName') (selection 'selection')",
    },
    {
      file: join(folder, 'object.yml'),
      rule: 'sigma-object',
      field: 'requestParameters',
      reason:
        "'requestParameters' is an object in CloudTrail records: a string value or modifier never matches it; name a field inside it (selection 'policy')",
    },
  ]);
});

LoadSigmaFolder('refuses a folder that cannot be read', async () => {
  const missing = join(tmpdir(), 'sigma-does-not-exist-8f3a');
  const error = await refusal(loadSigmaFolder(missing));
  assert.is(error.file, missing);
  assert.match(error.reason, 'cannot read rule folder');
});

LoadSigmaFolder.run();

const LoadSigmaRules = suite('loadSigmaRules');

LoadSigmaRules.after(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

LoadSigmaRules('returns only the CloudTrail detectors', async () => {
  const folder = await tempFolder({ 'win.yml': WINDOWS_RULE, 'trail.yml': cloudTrailRule('Stop', 'StopLogging') });
  const detectors = await loadSigmaRules(folder);
  assert.equal(
    detectors.map((detector) => detector.meta.id),
    ['sigma-stop'],
  );
  assert.is(detectors[0]!.kind, 'stateless');
});

LoadSigmaRules.run();
