/**
 * Headless Chromium for the status page tests: Debian's chromium driven by playwright-core, with
 * a fresh profile per launch and everything that would reach the network on its own turned off.
 * When /usr/bin/chromium is absent the tests that need it are skipped with this message.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's chromium package puts its launcher here. */
export const CHROMIUM = '/usr/bin/chromium';

/** Why browser tests are skipped, or false when Chromium is there. */
export const NO_CHROMIUM: string | false = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent: install Debian's chromium package (apt-get install chromium) to run the status page in a browser`;

/** A running browser with one page context, and how to close both and remove the profile. */
export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Launches headless Chromium with a new user data dir; `javaScriptEnabled: false` turns scripts off. */
export async function launchChromium(options: { readonly javaScriptEnabled?: boolean } = {}): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'sluice-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    javaScriptEnabled: options.javaScriptEnabled ?? true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 30_000,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
