// DIR/result.json, DIR/<image>.png and DIR/report.html of an experiment (Node only). Charts are the
// same headless Vega → SVG rendering as the analysis report; every file is written atomically.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { renderChartSvg, writeJsonAtomic } from './report-html.js';
import { writeFileAtomic } from '../runtime/atomic-write.js';
import { esc, num } from './report-html-sections.js';
import type { Cell, ExperimentResult, ExperimentTable } from './experiment-types.js';

const STYLE = `
body { font: 14px/1.45 Helvetica, Arial, sans-serif; color: #222; max-width: 1100px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { margin-top: 1.8em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.6em 0; } td, th { padding: 2px 10px; border-bottom: 1px solid #eee; text-align: right; font-variant-numeric: tabular-nums; }
td:first-child, th:first-child { text-align: left; }
figure { margin: 1.5em 0; } figure svg, figure img { max-width: 100%; height: auto; image-rendering: pixelated; }
figcaption, .caption { color: #444; max-width: 800px; margin-top: 0.4em; }
.met { color: #1a7f37; font-weight: bold; } .missed { color: #b42318; font-weight: bold; } .undecided { color: #666; }
p.warning { background: #fff4e0; border-left: 4px solid #e69500; padding: 0.4em 0.8em; }
code { font-size: 0.92em; word-break: break-all; }`;

function cell(c: Cell): string {
  return typeof c === 'number' ? num(c) : c === null ? '—' : esc(c);
}

function tableHtml(t: ExperimentTable): string {
  const head = t.columns.map((c) => `<th>${esc(c)}</th>`).join('');
  const rows = t.rows.map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`).join('\n');
  return `<section id="${esc(t.id)}"><h3>${esc(t.title)}</h3><table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table><p class="caption">${esc(t.caption)}</p></section>`;
}

/** The standalone page: summary, goals, tables, charts (inline SVG) and images. */
export async function renderExperimentHtml(r: ExperimentResult): Promise<string> {
  const goals =
    r.goals.length === 0
      ? ''
      : `<h2>Goals</h2><table><thead><tr><th>goal</th><th>measured</th><th>verdict</th></tr></thead><tbody>${r.goals
          .map(
            (g) =>
              `<tr><td>${esc(g.goal)}</td><td>${esc(g.measured)}</td><td class="${g.met === null ? 'undecided' : g.met ? 'met' : 'missed'}">${g.met === null ? 'undecided' : g.met ? 'met' : 'missed'}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  const charts: string[] = [];
  for (const c of r.charts) {
    let body: string;
    try {
      body = await renderChartSvg(c.spec);
    } catch (e) {
      body = `<p class="warning">This chart could not be drawn: ${esc(e instanceof Error ? e.message : String(e))}</p>`;
    }
    charts.push(
      `<figure id="${esc(c.id)}"><h3>${esc(c.title)}</h3>${body}<figcaption>${esc(c.caption)}</figcaption></figure>`,
    );
  }
  const images = r.images.map(
    (im) =>
      `<figure id="${esc(im.id)}"><h3>${esc(im.title)}</h3><img src="${esc(im.id)}.png" alt="${esc(im.title)}"><figcaption>${esc(im.caption)}</figcaption></figure>`,
  );
  const settings = Object.entries(r.settings)
    .map(
      ([k, v]) =>
        `<tr><td>${esc(k)}</td><td style="text-align:left"><code>${esc(typeof v === 'string' ? v : JSON.stringify(v))}</code></td></tr>`,
    )
    .join('');
  const timings = Object.entries(r.timings)
    .map(([k, v]) => `${esc(k)} ${(v / 1000).toFixed(1)} s`)
    .join(' · ');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>fluctus experiment — ${esc(r.experiment)}</title><style>${STYLE}</style></head>
<body>
<h1>${esc(r.title)}</h1>
<p>${esc(r.summary)}</p>
${r.warnings.map((w) => `<p class="warning">${esc(w)}</p>`).join('\n')}
${goals}
<h2>Tables</h2>
${r.tables.map(tableHtml).join('\n')}
${charts.length ? `<h2>Charts</h2>\n${charts.join('\n')}` : ''}
${images.length ? `<h2>Samples</h2>\n${images.join('\n')}` : ''}
<h2>Settings</h2><table><tbody>${settings}</tbody></table>
<p class="caption">Timings: ${timings}</p>
</body></html>
`;
}

/** Writes DIR/result.json (first, so numbers survive a rendering failure), the PNGs and DIR/report.html. */
export async function writeExperimentReport(dir: string, r: ExperimentResult): Promise<{ json: string; html: string }> {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'result.json');
  const html = join(dir, 'report.html');
  const { images, files, ...rest } = r;
  writeJsonAtomic(json, {
    ...rest,
    files: files?.map((f) => f.name),
    images: images.map((im) => ({ id: im.id, title: im.title, file: `${im.id}.png` })),
    charts: r.charts.map((c) => ({ id: c.id, title: c.title })),
  });
  for (const im of images) writeFileAtomic(join(dir, `${im.id}.png`), im.png);
  for (const f of files ?? []) {
    if (!/^[\w.-]+\.json$/.test(f.name))
      throw new Error(`experiment file name must be a plain *.json name, got '${f.name}'`);
    writeJsonAtomic(join(dir, f.name), f.json);
  }
  writeFileAtomic(html, await renderExperimentHtml(r));
  return { json, html };
}
