// The text parts of report.html (header, headline numbers, tables, dendrogram in words, footnote) as
// HTML strings built from a MergerReport. Every string that comes from the report goes through esc().
// Pure: no Node APIs.
import type { MergerReport } from '../formats/report-types.js';
import { DEFAULT_EPS_RATIO } from '../analysis/curves.js';
import { DIP_GRID } from '../analysis/merger-search.js';

const METHODS: Record<MergerReport['method'], string> = {
  crn: 'crn — one noise draw per sample (common random numbers): C(i) = abar A + (1 - abar) B + sqrt(abar (1 - abar)) (X + Xᵀ) from A = cov(x0), B = cov(eps), X = cross-cov(x0, eps), for every step at once',
  mc: 'mc — Monte-Carlo sweep: fresh noise at every spectral step, per-event covariances accumulated from the noised samples',
  exact: 'exact — closed form of the population covariance, C(i) = abar C(0) + (1 - abar) I',
};

const CENTRING_TEXT: Record<MergerReport['centring'], string> = {
  own: 'own — each event is centred on its own mean',
  global: 'global — every event is centred on the global mean m, which adds abar (mu_k - m)(mu_k - m)ᵀ to C_k(i)',
};

/** HTML-escapes text and attribute values. */
export function esc(s: unknown): string {
  return String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** A number for tables: integers as is, others to 4 significant digits. */
export function num(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined) return '—';
  if (!Number.isFinite(v)) return esc(String(v));
  return Number.isInteger(v) ? String(v) : esc(String(Number(v.toPrecision(digits))));
}

function className(r: MergerReport, k: number): string {
  return r.data.classNames[k] ?? `class ${k}`;
}

/** "step i (abar = a)" or the reason there is none. */
export function stepText(r: MergerReport, step: number | null, none = `none within T = ${r.schedule.T}`): string {
  if (step === null) return esc(none);
  return `step <b>${step}</b> (abar = ${num(r.schedule.abar[step] ?? null)})`;
}

function table(head: string[], rows: string[][], cls = ''): string {
  const th = head.map((h) => `<th>${h}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export function headerSection(r: MergerReport): string {
  const d = r.data;
  const shape = d.imageShape
    ? `${d.n} × ${d.dim} (images ${d.imageShape[0]} × ${d.imageShape[1]})`
    : `${d.n} × ${d.dim}`;
  const classes = d.classNames.map((n, k) => `${esc(n)} (${num(d.counts[k] ?? null)})`).join(', ');
  const rows: [string, string][] = [
    ['source', esc(d.source)],
    ['shape (samples × dimensions)', shape],
    [`classes (${d.classNames.length}, samples each)`, classes || '—'],
    ['scaling', esc(d.scale)],
    ['schedule', `${esc(r.schedule.name)}, T = ${r.schedule.T}`],
    ['method', esc(METHODS[r.method] ?? r.method)],
    ['centring', esc(CENTRING_TEXT[r.centring] ?? r.centring)],
    [
      'eps',
      `${num(r.eps.value)} (${r.eps.rule === 'ratio' ? `max_k lambda_max(C_k(0)) / ${num(r.eps.ratio)}` : 'absolute, given'})`,
    ],
    ['steps', `M on ${r.steps.length} steps, spectra and d on ${r.spectralSteps.length} spectral steps`],
    ['merger search', searchText(r)],
    ['seed', num(r.seed)],
  ];
  return `<header><h1>Cross-fluctuation mergers — ${esc(d.name)}</h1>
<p class="meta">fluctus ${esc(r.fluctus.version)}${r.fluctus.commit ? ` (${esc(r.fluctus.commit)})` : ''}, ${esc(r.createdAt)}</p>
${table(
  ['', ''],
  rows.map(([k, v]) => [esc(k), v]),
  'kv',
)}</header>`;
}

/** How the merger steps were found (README "How merger steps are found"). */
function searchText(r: MergerReport): string {
  const q = r.search;
  if (q.method === 'full') return `full spectra on the spectral steps (${num(q.fullSpectra)})`;
  return `certified bounds from the top ${num(q.trackedEigenvalues ?? 0)} eigenvalues of a Ritz tracker (${num(q.windows)} windows, ${num(q.products)} GPU block products), ${num(q.fullSpectra)} full spectra where the bounds could not decide${q.bisectedPairs ? `, ${num(q.bisectedPairs)} pairs bisected` : ''}${q.dipPairs ? `, ${num(q.dipPairs)} merger steps from dip probes` : ''}${q.dipProbes === 'all' ? ` (dip probes on every ${DIP_GRID}th uncertified step)` : ''}`;
}

/** Earliest and latest merging class pairs and how many never merge. */
export function matrixSummary(r: MergerReport): string {
  const K = r.data.classNames.length;
  if (K < 2) return 'One class: no class pairs.';
  const merged: { i: number; j: number; s: number }[] = [];
  let never = 0;
  for (let i = 0; i < K; i++) {
    for (let j = i + 1; j < K; j++) {
      const s = r.classMergerMatrix[i]?.[j] ?? null;
      if (s === null) never++;
      else merged.push({ i, j, s });
    }
  }
  const total = (K * (K - 1)) / 2;
  const parts = [`${total} class pairs; ${merged.length} merge within the schedule, ${never} never do.`];
  if (merged.length > 0) {
    merged.sort((x, y) => x.s - y.s);
    const lo = merged[0]!;
    const hi = merged[merged.length - 1]!;
    parts.push(
      `Earliest (closest): ${esc(className(r, lo.i))} and ${esc(className(r, lo.j))} at ${stepText(r, lo.s)}.`,
    );
    if (merged.length > 1)
      parts.push(`Latest: ${esc(className(r, hi.i))} and ${esc(className(r, hi.j))} at ${stepText(r, hi.s)}.`);
  }
  return parts.join(' ');
}

export function headlineSection(r: MergerReport): string {
  const dn = r.dataNoise;
  const sp = r.speciation;
  const T = r.schedule.T;
  const items = [
    `Data–noise merger: ${stepText(r, dn.mergerStep)}${dn.mergerStep !== null ? ` — a sampler can start at step ${dn.mergerStep} instead of ${T}` : ''}.`,
    `Normality (no top direction rejects at alpha = ${num(dn.normality.alpha)}, Bonferroni over ${dn.normality.directions}): ${stepText(r, dn.normalityStep)}.`,
    `Speciation (Lambda = ${num(sp.lambdaMax)}, abar_S = 1/Lambda = ${num(sp.abar)}, OU time t_S = ${num(sp.ouTime)}): ${stepText(r, r.speciationStep, 'none: Lambda <= 1, the data is no wider than the noise')}.`,
    `Class merger matrix: ${matrixSummary(r)}`,
  ];
  if (r.lateStart) {
    items.push(
      `Late-start statistics (rank ${r.lateStart.rank}) at steps ${r.lateStart.steps.map((s) => num(s)).join(', ')} in <code>${esc(r.lateStart.file)}</code>.`,
    );
  }
  const warnings = (r.warnings ?? []).map((w) => `<p class="warning">${esc(w)}</p>`).join('\n');
  return `<section><h2>Headline</h2><ul class="headline">${items.map((i) => `<li>${i}</li>`).join('\n')}</ul>${warnings}</section>`;
}

export function classRestSection(r: MergerReport): string {
  const K = r.data.classNames.length;
  if (K < 2)
    return '<section><h2>Class vs rest mergers</h2><p>One class: there is no rest of the data to compare it with.</p></section>';
  const note =
    K === 2 ? ' With two classes the rest of one class is the other, so both rows give the class–class merger.' : '';
  const rows = r.data.classNames.map((n, k) => {
    const s = r.classRestMerger[k] ?? null;
    return [
      esc(n),
      num(r.data.counts[k] ?? null),
      s === null ? 'none' : String(s),
      num(s === null ? null : (r.schedule.abar[s] ?? null)),
    ];
  });
  return `<section><h2>Class vs rest mergers</h2>
<p>Merger step of each class with the rest of the data (first step with d(i) &lt;= eps). These steps give the window in which classifier-free guidance for the class is applied (guidance intervals).${note}</p>
${table(['class', 'samples', 'merger step', 'abar'], rows)}</section>`;
}

/** The dendrogram's merges in words, first `limit` rows, then the Newick string. */
export function dendrogramSection(r: MergerReport, limit = 12): string {
  const { merges, linkage, newick } = r.dendrogram;
  const K = r.data.classNames.length;
  if (merges.length === 0)
    return `<section><h2>Dendrogram in words</h2><p>${K} class${K === 1 ? '' : 'es'}: nothing to merge.</p></section>`;
  const members: number[][] = r.data.classNames.map((_, k) => [k]);
  const group = (id: number) => {
    const m = members[id] ?? [];
    const names = m.map((k) => esc(className(r, k)));
    return names.length === 1 ? `<b>${names[0]}</b>` : `{${names.join(', ')}}`;
  };
  const lines = merges.map((m, i) => {
    const line = `${m.height > T(r) ? `never within T (placed at ${num(m.height)})` : `step ${num(m.height)}`}: ${group(m.a)} + ${group(m.b)}`;
    members[K + i] = [...(members[m.a] ?? []), ...(members[m.b] ?? [])];
    return line;
  });
  const shown = lines
    .slice(0, limit)
    .map((l) => `<li>${l}</li>`)
    .join('\n');
  const more = lines.length > limit ? `<p>… and ${lines.length - limit} later merges.</p>` : '';
  return `<section><h2>Dendrogram in words</h2>
<p>${esc(linkage)} linkage; clusters in merge order (height = merger step; earlier = more alike):</p>
<ol>${shown}</ol>${more}
<p>Newick: <code>${esc(newick)}</code></p></section>`;
}

function T(r: MergerReport): number {
  return r.schedule.T;
}

export function profileSection(r: MergerReport): string {
  const prof = [...r.profile].sort((a, b) => b.ms - a.ms);
  const total = prof.reduce((s, p) => s + p.ms, 0);
  const profTable = prof.length
    ? table(
        ['kernel', 'calls', 'GPU ms', 'share', 'GFLOP/s', 'GB/s'],
        prof.map((p) => [
          `<code>${esc(p.kernel)}</code>`,
          num(p.calls),
          num(p.ms),
          total > 0 ? `${((100 * p.ms) / total).toFixed(1)} %` : '—',
          num(p.gflops, 3),
          num(p.gbps, 3),
        ]),
        'num',
      )
    : '<p>No kernel profile was recorded.</p>';
  const phases = Object.entries(r.timings);
  const timeTable = phases.length
    ? table(
        ['phase', 'wall ms'],
        phases.map(([k, v]) => [esc(k), num(v)]),
        'num',
      )
    : '<p>No phase timings were recorded.</p>';
  return `<section><h2>Where the time went</h2>
<h3>GPU kernels</h3>${profTable}
<h3>Phases</h3>${timeTable}</section>`;
}

export function footnote(r: MergerReport): string {
  const e = r.eps;
  const epsText =
    e.rule === 'ratio'
      ? `eps = max_k lambda_max(C_k(0)) / ${num(e.ratio)} = ${num(e.value)}: the largest top eigenvalue of the events' covariances at step 0 divided by the ratio (the paper's heuristic uses ${DEFAULT_EPS_RATIO}).`
      : `eps = ${num(e.value)}, given as an absolute value.`;
  return `<footer><p>A pair merges at the first step i where d(i) = max_j |lambda_j(C_1(i)) - lambda_j(C_2(i))| &lt;= eps; M~(i) is M(i) before that and 1 after. ${epsText}
Centring: ${esc(CENTRING_TEXT[r.centring] ?? r.centring)}. Speciation convention: ${esc(r.speciation.convention)}.
Steps count from 0 (the data, abar = 1) to T = ${r.schedule.T}.</p>
<p>Cross-fluctuation mergers: Ramachandran, Lal &amp; Sra, NeurIPS 2025, arXiv 2511.00124. Speciation: Biroli et al. 2024.</p></footer>`;
}
