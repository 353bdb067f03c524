// Headless Chromium (Debian's package) driven by playwright-core: PDF output and page checks.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { ApiaryError } from '../errors/errors.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function chromiumInstalled(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export async function launchChromium(): Promise<Browser> {
  if (!chromiumInstalled()) {
    throw new ApiaryError('APIARY_REPORT', `PDF output needs Chromium at ${CHROMIUM_PATH}; install it with "apt-get install chromium" or use --format html and print it`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** Prints HTML to a PDF file. Nothing is fetched: the page is self-contained and requests are refused. */
export async function htmlToPdf(html: string, out: string): Promise<void> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    await page.pdf({ path: out, format: 'A4', printBackground: true, margin: { top: '12mm', bottom: '12mm', left: '10mm', right: '10mm' } });
  } finally {
    await browser.close();
  }
}
