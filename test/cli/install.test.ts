import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const install = suite('npm install of this project');

install('on a supported Node.js version it prints no warning (no EBADENGINE on Node.js 20)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trail-auditor-install-'));
  try {
    for (const file of ['package.json', 'package-lock.json', '.npmrc']) copyFileSync(join(ROOT, file), join(dir, file));
    const output = await new Promise<string>((done, fail) =>
      execFile(
        'npm',
        ['install', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'],
        { cwd: dir, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => (error ? fail(new Error(stderr || error.message)) : done(`${stdout}${stderr}`)),
      ),
    );
    assert.not.match(output, 'EBADENGINE');
    assert.not.match(output, /npm warn/i);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

install.run();
