import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { COVERAGE_DOC, renderCoverage } from '../../cli/coverage-docs.ts';
import { BUILT_IN_DETECTORS } from '../../functions/detectors/index.ts';

const test = suite('renderCoverage');

test('docs/coverage.md is what the registry generates (run npm run coverage:docs after changing a detector)', () => {
  assert.fixture(readFileSync(COVERAGE_DOC, 'utf8'), renderCoverage());
});

test('marks a technique no detector claims as uncovered', () => {
  const text = renderCoverage(BUILT_IN_DETECTORS, { 'aws.made-up.technique': 'Not a real technique' });
  assert.match(text, '| `aws.made-up.technique` Not a real technique | **none** | - |');
});

test('lists each technique with its detectors and their ATT&CK ids', () => {
  assert.match(
    renderCoverage(),
    '| `aws.execution.ssm-start-session` Usage of ssm:StartSession on multiple instances | `ssm-sessions-on-many-instances` | T1021.008 |',
  );
});

test.run();
