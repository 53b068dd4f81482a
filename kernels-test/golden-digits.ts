// What the digits golden test pins down, shared by the test and the script that writes the golden
// file (scripts/dev/golden-digits.ts).
import type { AnalyzeOptions } from '../src/analysis/analyze.js';
import type { MergerReport } from '../src/formats/report-types.js';

export const GOLDEN_DIGITS_OPTIONS: Partial<AnalyzeOptions> = { method: 'exact', seed: 0 };

export function goldenOf(r: MergerReport) {
  return {
    eps: Number(r.eps.value.toPrecision(6)),
    dataNoiseMergerStep: r.dataNoise.mergerStep,
    normalityStep: r.dataNoise.normalityStep,
    speciationStep: r.speciationStep,
    lambdaMax: Number(r.speciation.lambdaMax.toPrecision(6)),
    classRestMerger: r.classRestMerger,
    classMergerMatrix: r.classMergerMatrix,
    dendrogramOrder: r.dendrogram.order,
    newick: r.dendrogram.newick,
  };
}
