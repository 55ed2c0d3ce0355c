import { existsSync } from 'node:fs';
import { chromium, type BrowserContext } from 'playwright-core';
import { tempDir } from './cli.js';

/** Debian's Chromium (apt-get install chromium), driven by playwright-core: no browser is downloaded. */
export const CHROMIUM = process.env.AGENTSTATE_CHROMIUM ?? '/usr/bin/chromium';

export async function openBrowser(): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set AGENTSTATE_CHROMIUM)`);
  return chromium.launchPersistentContext(tempDir('agentstate-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
