import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RuleLoadError } from '../../functions/core/errors.ts';
import { loadDetectorSet, loadDetectors } from '../../functions/detectors/load.ts';
import { BUILT_IN_DETECTORS } from '../../functions/detectors/index.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/sigma/', import.meta.url));

const LoadDetectorSet = suite('loadDetectorSet');

LoadDetectorSet("adds the Sigma folder's stateless and correlating detectors after the built-in ones", async () => {
  const { detectors, sigma } = await loadDetectorSet({ sigmaDir: EXAMPLES });
  assert.equal(detectors.slice(0, BUILT_IN_DETECTORS.length), [...BUILT_IN_DETECTORS]);
  const added = detectors.slice(BUILT_IN_DETECTORS.length);
  assert.is(sigma.loaded, added.length);
  assert.ok(added.some((d) => d.kind === 'correlating'));
  assert.ok(added.some((d) => d.kind === 'stateless'));
  assert.equal({ refused: sigma.refused, warnings: sigma.warnings }, { refused: [], warnings: [] });
  // The example without a timeframe is named, for stderr and the run summary.
  assert.equal(
    sigma.notes?.map((note) => note.rule),
    ['sigma-access-keys-created-in-bulk-by-one-principal'],
  );
});

LoadDetectorSet('is strict by default (a deployment) and lenient when told (a local run)', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'sigma-load-'));
  try {
    const bad =
      'title: Bad\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    x|windash: y\n  condition: sel\n';
    const good =
      'title: Good\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName: StopLogging\n  condition: sel\n';
    await writeFile(join(folder, 'bad.yml'), bad);
    await writeFile(join(folder, 'good.yml'), good);
    const refusal = await loadDetectors({ sigmaDir: folder }).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.instance(refusal, RuleLoadError);
    assert.is((refusal as RuleLoadError).file, join(folder, 'bad.yml'));
    const { detectors, sigma } = await loadDetectorSet({ sigmaDir: folder, strictSigma: false });
    assert.is(detectors.at(-1)!.meta.id, 'sigma-good');
    assert.equal(sigma.refused, [
      { file: join(folder, 'bad.yml'), reason: "unsupported modifier 'windash' on field x in selection 'sel'" },
    ]);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

LoadDetectorSet.run();
