// Renders a trace written by `--trace` (Chrome Trace Event JSON) as an SVG timeline with the report's
// Vega-Lite chart (src/report/charts-trace.ts): host phases above, GPU dispatches below.
//   npx tsx scripts/trace-timeline.ts run.trace.json timeline.svg [--title T] [--from ms] [--to ms]
import { readFileSync } from 'node:fs';
import { traceTimelineChart } from '../src/report/charts-trace.js';
import { renderChartSvg } from '../src/report/report-html.js';
import { writeFileAtomic } from '../src/runtime/atomic-write.js';
import type { TraceEvent } from '../src/runtime/trace.js';
import { argOf } from './args.js';

const [input, output] = process.argv
  .slice(2)
  .filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
if (!input || !output)
  throw new Error('usage: tsx scripts/trace-timeline.ts TRACE.json OUT.svg [--title T] [--from ms] [--to ms]');
const trace = JSON.parse(readFileSync(input, 'utf8')) as { traceEvents?: TraceEvent[] };
if (!Array.isArray(trace.traceEvents))
  throw new Error(`${input}: not a Chrome Trace Event file (no traceEvents array)`);
const num = (name: string) => (argOf(name) === undefined ? undefined : Number(argOf(name)));
const warnings: string[] = [];
const svg = await renderChartSvg(
  traceTimelineChart(trace.traceEvents, { title: argOf('title'), from: num('from'), to: num('to') }),
  warnings,
);
for (const w of warnings) console.warn(`trace-timeline: ${w}`);
writeFileAtomic(output, svg);
console.log(`${output}: ${trace.traceEvents.length} events`);
