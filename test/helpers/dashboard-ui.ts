// Helpers for the dashboard's browser tests: the client built (its own tsconfig, with the DOM library),
// and waits written as page-side expressions (the test program itself has no DOM types).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/** Compiles the client (tsconfig.ui.json) when `tsc -p tsconfig.json` alone built the rest. */
export function ensureClientBuilt(): void {
  const src = 'src/web/ui';
  const out = 'dist/src/web/ui';
  const stale = readdirSync(src)
    .filter((f) => f.endsWith('.ts'))
    .some((f) => {
      const js = join(out, f.replace(/\.ts$/, '.js'));
      return !existsSync(js) || statSync(js).mtimeMs < statSync(join(src, f)).mtimeMs;
    });
  if (stale) execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.ui.json'], { stdio: 'inherit' });
}

/** The page-side document, typed for what these waits read (this program has no DOM types). */
interface PageDocument {
  querySelector(s: string): { textContent: string | null } | null;
  querySelectorAll(s: string): ArrayLike<{ complete: boolean; naturalWidth: number }>;
}

/** Waits until every image matching SELECTOR has loaded (an SVG chart served as an image). */
export async function imagesLoaded(page: Page, selector: string, timeout = 15_000): Promise<void> {
  // Functions, not strings: the dashboard's CSP forbids evaluating strings, even for the test driver.
  await page.waitForFunction(
    (sel: string) => {
      const all = Array.from((globalThis as unknown as { document: PageDocument }).document.querySelectorAll(sel));
      return all.length > 0 && all.every((i) => i.complete && i.naturalWidth > 100);
    },
    selector,
    { timeout },
  );
}

/** Waits until the text of SELECTOR includes TEXT (or equals it, with EXACT). */
export async function textShows(page: Page, selector: string, text: string, opts: { exact?: boolean; timeout?: number } = {}): Promise<void> {
  await page.waitForFunction(
    ([sel, want, exact]: [string, string, boolean]) => {
      const got = (globalThis as unknown as { document: PageDocument }).document.querySelector(sel)?.textContent ?? '';
      return exact ? got === want : got.includes(want);
    },
    [selector, text, opts.exact === true] as [string, string, boolean],
    { timeout: opts.timeout ?? 15_000 },
  );
}
