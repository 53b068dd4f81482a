// The explorer's export panel: the headless command that repeats the run, and downloads of what
// `fluctus analyze` writes (report.json, late-start.json), the curves as CSV, the built-in data as .npy
// when the command needs them, and every drawn chart as SVG or PNG (from its live Vega view).
import type { Dataset } from '../../data/dataset.js';
import type { LateStartFile } from '../../formats/late-start.js';
import type { MergerReport } from '../../formats/report-types.js';
import { curvesCsv, lateStartJson, npyFile, reportJson } from './export.js';
import { cliEquivalent, cliHasBuiltin, exportedDataFiles, type DataFiles, type ExplorerOptions } from './options.js';
import { PAGE_CHARTS } from './results.js';
import { viewOf } from './vega-view.js';
import { renderReportHtml } from '../../report/report-page.js';

export interface ExportInputs {
  report: MergerReport;
  lateStart: LateStartFile | null;
  options: ExplorerOptions;
  /** The data before the per-class limit (the CLI applies --samples-per-class itself). */
  data: Dataset;
  /** The user's files by name, or null for built-in data. */
  files: DataFiles | null;
}

let urls: string[] = [];

function link(id: string, name: string, blob: Blob, what: string): HTMLLIElement {
  const url = URL.createObjectURL(blob);
  urls.push(url);
  const li = document.createElement('li');
  const a = Object.assign(document.createElement('a'), { id, href: url, download: name, textContent: name });
  li.append(a, ` — ${what} (${(blob.size / 1024).toFixed(blob.size < 10240 ? 1 : 0)} KiB)`);
  return li;
}

/** Saves a blob under `name` through a temporary link. */
function save(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

async function chartBlob(el: HTMLElement, format: 'svg' | 'png'): Promise<Blob> {
  const view = viewOf(el);
  if (!view) throw new Error(`#${el.id}: no chart is drawn there`);
  if (format === 'svg') return new Blob([await view.toSVG()], { type: 'image/svg+xml' });
  // Twice the CSS size, for print.
  const canvas = (await view.toCanvas(2)) as unknown as HTMLCanvasElement;
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error(`#${el.id}: the PNG could not be encoded`))), 'image/png'),
  );
}

/** Fills #export and #cli; returns the command line. */
export function showExports(x: ExportInputs): string {
  for (const u of urls) URL.revokeObjectURL(u);
  urls = [];
  const o = x.options;
  const builtinFiles = o.data === 'file' || cliHasBuiltin(o) ? null : exportedDataFiles(x.data.name);
  const command = cliEquivalent(o, x.files ?? builtinFiles);
  document.getElementById('cli')!.textContent = command;
  const where = document.getElementById('cli-where')!;
  where.textContent = builtinFiles
    ? o.data === 'gmm'
      ? "The CLI's built-in gmm has another size, so the command reads the page's mixture from the two .npy files below: save them in the folder where you run it."
      : 'The CLI has no procedural images, so the command reads them from the two .npy files below (save them where you run it); the CLI names the classes by their label numbers 0, 1, 2.'
    : o.data === 'file'
      ? x.files?.before
        ? `Run it where your zip is, after: ${x.files.before}`
        : x.files?.labels === null
          ? 'Run it in the folder that holds your file.'
          : 'Run it in the folder that holds your two files.'
      : "The CLI's built-in mixture is the page's: no files needed.";
  const list = document.getElementById('export-files')!;
  const json = { type: 'application/json' };
  const items = [
    link(
      'export-report',
      'report.json',
      new Blob([reportJson(x.report)], json),
      'the analysis, as fluctus analyze writes it',
    ),
  ];
  if (x.lateStart) {
    items.push(
      link(
        'export-late-start',
        'late-start.json',
        new Blob([lateStartJson(x.lateStart)], json),
        `late-start statistics at steps ${x.lateStart.steps.map((s) => s.step).join(', ')}`,
      ),
    );
  } else {
    const li = document.createElement('li');
    li.className = 'note';
    li.textContent =
      'late-start.json: set “late-start.json steps” (e.g. the data–noise merger step) and run again, as fluctus analyze --late-start does.';
    items.push(li);
  }
  items.push(
    link(
      'export-curves',
      'curves.csv',
      new Blob([curvesCsv(x.report)], { type: 'text/csv' }),
      'M, M~ and d of every pair per step',
    ),
  );
  if (builtinFiles) {
    const [N, D] = x.data.shape;
    const shape = x.data.imageShape ? [N, ...x.data.imageShape] : [N, D];
    items.push(
      link(
        'export-data',
        builtinFiles.data,
        new Blob([npyFile(x.data.x, shape) as Uint8Array<ArrayBuffer>]),
        `the data, (${shape.join(', ')}) float32`,
      ),
      link(
        'export-labels',
        builtinFiles.labels!,
        new Blob([npyFile(x.data.labels, [N]) as Uint8Array<ArrayBuffer>]),
        'the labels, int32',
      ),
    );
  }
  // report.html renders every chart again, headless: made when asked for.
  const html = document.createElement('li');
  const hb = Object.assign(document.createElement('button'), {
    type: 'button',
    id: 'export-report-html',
    textContent: 'report.html',
  });
  hb.onclick = async () => {
    hb.disabled = true;
    try {
      save('report.html', new Blob([await renderReportHtml(x.report)], { type: 'text/html' }));
    } catch (e) {
      html.append(
        Object.assign(document.createElement('span'), { className: 'err', textContent: ` ${(e as Error).message}` }),
      );
    } finally {
      hb.disabled = false;
    }
  };
  html.append(hb, ' — the report page with every chart, one file that opens offline, as fluctus analyze writes it');
  items.splice(1, 0, html);
  list.replaceChildren(...items);
  const charts = document.getElementById('export-charts')!;
  charts.replaceChildren(
    ...PAGE_CHARTS.filter((c) => viewOf(document.getElementById(c.el)!)).map((c) => {
      const li = document.createElement('li');
      li.append(`${c.file}: `);
      for (const format of ['svg', 'png'] as const) {
        const b = Object.assign(document.createElement('button'), {
          type: 'button',
          textContent: format.toUpperCase(),
          id: `export-${c.file}-${format}`,
        });
        b.onclick = async () => {
          b.disabled = true;
          try {
            save(`${c.file}.${format}`, await chartBlob(document.getElementById(c.el)!, format));
          } catch (e) {
            li.append(
              Object.assign(document.createElement('span'), {
                className: 'err',
                textContent: ` ${(e as Error).message}`,
              }),
            );
          } finally {
            b.disabled = false;
          }
        };
        li.append(b, ' ');
      }
      return li;
    }),
  );
  return command;
}
