// report.html and report.json of `fluctus analyze` (Node only): the page's text comes from report-page.ts
// (pure, shared with the explorer page). Files are written atomically (<name>.tmp-<pid>, then rename) so
// a reader never sees half a report.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../runtime/atomic-write.js';
import { checkJsonNumbers, formatJson } from '../formats/json.js';
import type { MergerReport } from '../formats/report-types.js';
import { renderReportHtml } from './report-page.js';

export { formatJson };
export { collectingLogger, renderChartSvg, renderReportHtml } from './report-page.js';

/** `value` as JSON (formatJson) written atomically; throws on NaN or Infinity anywhere in it. */
export function writeJsonAtomic(path: string, value: unknown): void {
  checkJsonNumbers(value, 'value');
  writeFileAtomic(path, `${formatJson(value)}\n`);
}

/**
 * Writes dir/report.json, then dir/report.html (creating dir). The JSON goes first so that the
 * analysis survives a failure while rendering. Returns the two paths.
 */
export async function writeReportFiles(dir: string, report: MergerReport): Promise<{ json: string; html: string }> {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'report.json');
  const html = join(dir, 'report.html');
  checkJsonNumbers(report, 'report');
  writeFileAtomic(json, `${formatJson(report)}\n`);
  writeFileAtomic(html, await renderReportHtml(report));
  return { json, html };
}
