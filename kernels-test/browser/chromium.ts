// Debian's Chromium driven by playwright-core (never a downloaded browser), WebGPU on SwiftShader.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.FLUCTUS_CHROMIUM ?? '/usr/bin/chromium';

/** null when Chromium is present; otherwise why the browser suite cannot run. */
export function browserMissing(): string | null {
  return existsSync(CHROMIUM)
    ? null
    : `${CHROMIUM} not found: run 'npm run setup -- --with-browser' (as root it installs Debian's chromium)`;
}

/**
 * playwright-core gives every launch a new empty profile directory. webgpu: false leaves out
 * --enable-unsafe-webgpu, so WebGPU stays off as in a default Chromium on Linux (no adapter).
 */
export async function launchChromium(opts: { webgpu?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless=new',
      '--no-sandbox',
      ...(opts.webgpu === false ? [] : ['--enable-unsafe-webgpu']),
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
