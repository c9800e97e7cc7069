import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { sigmaReportLines } from '../../cli/local/audit.ts';

const SigmaReportLines = suite('sigmaReportLines');

SigmaReportLines('prints a note per rule the engine chose a window for, after refusals and warnings, escaped', () => {
  const lines = sigmaReportLines({
    loaded: 1,
    refused: [{ file: 'r/bad.yml', reason: "unsupported modifier 'expand'" }],
    warnings: [],
    notes: [
      { file: 'r/mass\u001b[2J.yml', rule: 'sigma-mass', note: "'| count() > 20' has no timeframe: any 24h window" },
    ],
  });
  assert.equal(lines, [
    "sigma: refused r/bad.yml: unsupported modifier 'expand'",
    "sigma: note r/mass\\x1b[2J.yml: sigma-mass: '| count() > 20' has no timeframe: any 24h window",
  ]);
});

SigmaReportLines.run();
