// The text of report.html: the report's charts (charts.ts) compiled with vega-lite, run in a headless
// vega View (renderer 'none': no canvas needed) and inlined as SVG next to the text sections, so the
// page is one self-contained file that opens offline. Pure (no Node APIs): `fluctus analyze` writes it
// (report-html.ts) and the explorer page offers the same file for download.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { REPORT_CHARTS, isNoChart } from './charts.js';
import {
  classRestSection,
  dendrogramSection,
  esc,
  footnote,
  headerSection,
  headlineSection,
  profileSection,
} from './report-html-sections.js';
import type { MergerReport } from '../formats/report-types.js';

/** A vega-util LoggerInterface that appends every warning and error to `messages`. */
export function collectingLogger(messages: string[]) {
  let lvl = 2; // vega.Warn
  const text = (args: unknown[]) =>
    args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
  const logger = {
    level(l?: number) {
      if (l === undefined) return lvl;
      lvl = l;
      return logger;
    },
    error(...args: unknown[]) {
      messages.push(`error: ${text(args)}`);
      return logger;
    },
    warn(...args: unknown[]) {
      messages.push(`warning: ${text(args)}`);
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger;
}

// Helvetica advance widths (Adobe AFM, 1/1000 em) of ASCII 32..126; Arial and Liberation Sans share them.
const HELVETICA = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
  556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833,
  722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556,
  556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334,
  260, 334, 584,
];

/**
 * Text width for vega's layout without a canvas. Vega's own fallback guesses 0.8 em per character,
 * which makes long axis titles and legends claim far more room than they take and leaves gaps in
 * concatenated charts; the font's real widths keep the layout close to what a browser draws.
 */
function helveticaWidth(
  item: { fontSize?: number; fontWeight?: string | number; text?: unknown; limit?: number },
  text?: unknown,
): number {
  const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
  const t = String(text ?? item.text ?? '').trim();
  let units = 0;
  for (const ch of t) {
    const c = ch.codePointAt(0)!;
    units += c >= 32 && c <= 126 ? HELVETICA[c - 32]! : 556;
  }
  const bold = item.fontWeight === 'bold' || Number(item.fontWeight) >= 600;
  return (units * size * (bold ? 1.06 : 1)) / 1000;
}

interface TextMetrics {
  width: (item: object, text?: unknown) => number;
  estimateWidth: (item: object, text?: unknown) => number;
}

/** Compiles a Vega-Lite spec and renders it headless to an SVG string; compiler and runtime warnings go to `warnings`. */
export async function renderChartSvg(spec: TopLevelSpec, warnings: string[] = []): Promise<string> {
  // Only replace vega's built-in estimate: a canvas measurer or another user-defined one stays.
  const tm = (vega as unknown as { textMetrics: TextMetrics }).textMetrics;
  if (tm.width === tm.estimateWidth) tm.width = helveticaWidth;
  const logger = collectingLogger(warnings);
  const vg = compile(spec, { logger }).spec;
  const view = new vega.View(vega.parse(vg), { renderer: 'none', logger, logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const STYLE = `
body { font: 14px/1.45 Helvetica, Arial, sans-serif; color: #222; max-width: 1000px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; } h3 { font-size: 1em; }
.meta { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6em 0; } td, th { padding: 2px 10px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
table.num td + td { text-align: right; font-variant-numeric: tabular-nums; }
table.kv thead { display: none; } table.kv td:first-child { color: #555; white-space: nowrap; }
figure { margin: 1.5em 0; } figure svg { max-width: 100%; height: auto; }
figcaption { color: #444; max-width: 780px; margin-top: 0.4em; }
.nochart { color: #777; font-style: italic; }
ul.headline li { margin: 0.25em 0; }
p.warning { background: #fff4e0; border-left: 4px solid #e69500; padding: 0.4em 0.8em; }
footer { margin-top: 3em; color: #555; font-size: 0.9em; border-top: 1px solid #ddd; }
code { font-size: 0.92em; word-break: break-all; }`;

async function chartFigures(report: MergerReport): Promise<string[]> {
  const out: string[] = [];
  for (const c of REPORT_CHARTS) {
    let body: string;
    try {
      const spec = c.build(report);
      if (isNoChart(spec)) {
        body = `<p class="nochart">${esc(spec.none)}</p>`;
      } else {
        const warnings: string[] = [];
        body = await renderChartSvg(spec, warnings);
        for (const w of new Set(warnings)) console.warn(`report.html: chart '${c.id}': ${w}`);
      }
    } catch (e) {
      // report.json is already written; one chart that cannot be drawn should not cost the page.
      const msg = e instanceof Error ? e.message : String(e);
      console.warn(`report.html: chart '${c.id}' could not be drawn: ${msg}`);
      body = `<p class="nochart">This chart could not be drawn: ${esc(msg)}</p>`;
    }
    out.push(
      `<figure id="${esc(c.id)}"><h3>${esc(c.title)}</h3>\n${body}\n<figcaption>${esc(c.caption)}</figcaption></figure>`,
    );
  }
  return out;
}

/** The standalone HTML page of a merger report: text sections and every chart inlined as SVG (no external assets). */
export async function renderReportHtml(report: MergerReport): Promise<string> {
  const figures = await chartFigures(report);
  const [steps, ...rest] = figures;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fluctus mergers — ${esc(report.data.name)}</title>
<style>${STYLE}</style></head>
<body>
${headerSection(report)}
${headlineSection(report)}
<section><h2>Charts</h2>
${steps ?? ''}
${rest.join('\n')}
</section>
${classRestSection(report)}
${dendrogramSection(report)}
${profileSection(report)}
${footnote(report)}
</body></html>
`;
}
