import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RuleLoadError } from '../../../functions/core/errors.ts';
import { loadSigmaFolder, loadSigmaRules } from '../../../functions/detectors/sigma/loader.ts';
import { aRecord } from '../../helpers/records.ts';

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
  assert.ok(detectors[1]!.detect(aRecord({ eventName: 'StopLogging' })));
});

LoadSigmaFolder('ignores rules for other log sources and says why, even when they use unsupported constructs', async () => {
  const folder = await tempFolder({ 'win.yml': WINDOWS_RULE, 'trail.yml': cloudTrailRule('Stop', 'StopLogging') });
  const { detectors, ignored } = await loadSigmaFolder(folder);
  assert.equal(detectors.map((detector) => detector.meta.id), ['sigma-stop']);
  assert.equal(ignored, [
    {
      file: join(folder, 'win.yml'),
      reason: 'logsource is { product: windows, category: process_creation }, not { product: aws, service: cloudtrail }',
    },
  ]);
});

LoadSigmaFolder('ignores empty YAML files', async () => {
  const folder = await tempFolder({ 'empty.yml': '# nothing here\n' });
  assert.equal(await loadSigmaFolder(folder), { detectors: [], ignored: [{ file: join(folder, 'empty.yml'), reason: 'no YAML document' }] });
});

LoadSigmaFolder('refuses a second rule with the same id, naming both files', async () => {
  const folder = await tempFolder({ 'one.yml': cloudTrailRule('Trail Stopped', 'StopLogging'), 'two.yml': cloudTrailRule('trail  stopped!', 'DeleteTrail') });
  const error = await refusal(loadSigmaFolder(folder));
  assert.is(error.file, join(folder, 'two.yml'));
  assert.is(error.reason, `duplicate detector id 'sigma-trail-stopped': already used by ${join(folder, 'one.yml')}; give the rule a distinct title`);
});

LoadSigmaFolder('one rule that cannot be compiled refuses the whole folder, naming the file and reason', async () => {
  const folder = await tempFolder({
    'good.yml': cloudTrailRule('Good', 'StopLogging'),
    'bad.yml': cloudTrailRule('Bad', 'x').replace('eventName: x', "sourceIPAddress|cidr: '192.0.2.0/24'"),
  });
  const error = await refusal(loadSigmaFolder(folder));
  assert.is(error.file, join(folder, 'bad.yml'));
  assert.is(error.reason, "unsupported modifier 'cidr' on field sourceIPAddress in selection 'selection'");
});

LoadSigmaFolder('refuses correlation rules, which have no log source of their own', async () => {
  const folder = await tempFolder({ 'corr.yml': 'title: Many\ncorrelation:\n  type: event_count\n  rules: [x]\n  timespan: 5m\n' });
  assert.is((await refusal(loadSigmaFolder(folder))).reason, 'correlation rules are not supported');
});

LoadSigmaFolder('refuses CloudTrail rule collections but ignores collections for other log sources', async () => {
  const trail = await tempFolder({ 'many.yml': `${cloudTrailRule('A', 'x')}---\n${cloudTrailRule('B', 'y')}` });
  assert.match((await refusal(loadSigmaFolder(trail))).reason, 'rule collections (2 YAML documents in one file) are not supported');
  const windows = await tempFolder({ 'many.yml': `${WINDOWS_RULE}---\n${WINDOWS_RULE}` });
  assert.is((await loadSigmaFolder(windows)).ignored.length, 1);
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
  assert.equal(detectors.map((detector) => detector.meta.id), ['sigma-stop']);
  assert.is(detectors[0]!.kind, 'stateless');
});

LoadSigmaRules.run();
