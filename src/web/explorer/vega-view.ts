// Draws Vega-Lite specs (the report's own, from src/report/charts*.ts, and the page's slider spec)
// into page elements with vega's SVG renderer. One live View per element: drawing again finalizes the
// previous one. A spec that is { none: why } becomes a sentence.
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { isNoChart, type ChartSpec } from '../../report/charts-common.js';

const views = new WeakMap<HTMLElement, vega.View>();

/** Renders `spec` into `el` (replacing what was there); returns the View, or null for a "no chart". */
export async function drawChart(el: HTMLElement, spec: ChartSpec): Promise<vega.View | null> {
  views.get(el)?.finalize();
  views.delete(el);
  el.replaceChildren();
  if (isNoChart(spec)) {
    const p = document.createElement('p');
    p.className = 'nochart';
    p.textContent = spec.none;
    el.append(p);
    return null;
  }
  const messages: string[] = [];
  const logger = vega.logger(vega.Warn);
  // Compiler and runtime warnings are shown under the chart, not only in the console.
  logger.warn = (...args: unknown[]) => {
    messages.push(args.map(String).join(' '));
    return logger;
  };
  const vg = compile(spec, { logger }).spec;
  const view = new vega.View(vega.parse(vg), { renderer: 'svg', container: el, hover: true, logger });
  views.set(el, view);
  await view.runAsync();
  if (messages.length) {
    const p = document.createElement('p');
    p.className = 'chartwarn';
    p.textContent = [...new Set(messages)].join(' · ');
    el.append(p);
  }
  return view;
}

/** The live View drawn in `el`, or undefined (nothing drawn, or a "no chart" sentence). */
export function viewOf(el: HTMLElement): vega.View | undefined {
  return views.get(el);
}

/** Sets a top-level param of a drawn spec (a Vega signal) and re-renders. */
export async function setSignal(view: vega.View, name: string, value: number): Promise<void> {
  view.signal(name, value);
  await view.runAsync();
}
