import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Names the OS packages give the browser binary. */
const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/**
 * The system's Chromium (CHROMIUM_PATH, or the first of NAMES on PATH). The report test needs a
 * real browser and must not be skipped, so a machine without one fails here, saying what to install.
 */
export function findChromium(): string {
  const candidates = process.env.CHROMIUM_PATH
    ? [process.env.CHROMIUM_PATH]
    : (process.env.PATH ?? '').split(delimiter).flatMap((dir) => NAMES.map((name) => join(dir, name)));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next
    }
  }
  throw new Error(
    'no Chromium found (set CHROMIUM_PATH or put chromium on PATH): install it with `apt-get install -y chromium` (Debian) to run the HTML report test',
  );
}
