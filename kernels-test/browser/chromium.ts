// Debian's Chromium driven by playwright-core (never a downloaded browser), WebGPU on SwiftShader.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.FLUCTUS_CHROMIUM ?? '/usr/bin/chromium';

/** null when Chromium is present; otherwise why the browser suite cannot run. */
export function browserMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} not found: run 'npm run setup -- --with-browser' (as root it installs Debian's chromium)`;
}

/** playwright-core gives every launch a new empty profile directory. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--enable-unsafe-webgpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
