// The explorer's progress list: one row per phase of a run (the analysis' own phases as analyzeMergers
// reports them, then the page's: charts, trajectories) with its own bar, count and elapsed time. A
// phase that reports rarely (moments on a software adapter: one report in several seconds) still shows
// its clock running, and a finished run keeps every bar full.

export interface PhaseRow {
  name: string;
  done: number;
  total: number;
  ms: number;
  state: 'running' | 'done' | 'stopped';
}

export interface PhaseList {
  /** The rows so far, in order. */
  rows: PhaseRow[];
  /** Reports progress of `phase`: a new name closes the running phase and opens a row. */
  update(phase: string, done: number, total: number): void;
  /** Closes the running phase as done (bars full) or stopped (cancelled or failed: bar as it was). */
  end(how: 'done' | 'stopped'): void;
}

const fmt = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);

/** Clears `el` and returns the list that draws into it; `append` keeps earlier rows (a later phase of the same run). */
export function phaseList(el: HTMLElement, append = false): PhaseList {
  if (!append) el.replaceChildren();
  const rows: PhaseRow[] = [];
  const dom: { li: HTMLLIElement; bar: HTMLProgressElement; text: HTMLSpanElement; t0: number }[] = [];
  let timer: ReturnType<typeof setInterval> | null = null;
  const paint = (k: number) => {
    const r = rows[k]!;
    const d = dom[k]!;
    if (r.state === 'running') r.ms = performance.now() - d.t0;
    d.bar.max = Math.max(1, r.total);
    d.bar.value = r.state === 'done' ? d.bar.max : r.done;
    const count = r.total > 1 ? `${r.done} / ${r.total}, ` : '';
    const what = r.state === 'done' ? 'done' : r.state === 'stopped' ? 'stopped' : 'running';
    d.text.textContent = `${count}${fmt(r.ms)} — ${what}`;
    d.li.className = `phase ${r.state}`;
  };
  const close = (state: 'done' | 'stopped') => {
    const k = rows.length - 1;
    if (k < 0 || rows[k]!.state !== 'running') return;
    rows[k]!.state = state;
    if (state === 'done') rows[k]!.done = rows[k]!.total;
    rows[k]!.ms = performance.now() - dom[k]!.t0;
    paint(k);
  };
  return {
    rows,
    update(phase, done, total) {
      let k = rows.length - 1;
      if (k < 0 || rows[k]!.name !== phase || rows[k]!.state !== 'running') {
        close('done');
        const li = document.createElement('li');
        li.dataset.phase = phase;
        const name = Object.assign(document.createElement('span'), { className: 'pname', textContent: phase });
        const bar = document.createElement('progress');
        const text = Object.assign(document.createElement('span'), { className: 'ptext' });
        li.append(name, bar, text);
        el.append(li);
        rows.push({ name: phase, done, total, ms: 0, state: 'running' });
        dom.push({ li, bar, text, t0: performance.now() });
        k = rows.length - 1;
        timer ??= setInterval(() => paint(rows.length - 1), 200);
      }
      rows[k]!.done = done;
      rows[k]!.total = total;
      paint(k);
    },
    end(how) {
      close(how);
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
