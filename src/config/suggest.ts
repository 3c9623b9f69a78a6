/**
 * @module config/suggest
 * "Did you mean …?" for a misspelt setting: the known name closest to what was typed.
 */

/** Lowercase letters and digits only: `spec_ttl`, `spec-ttl`, `SPEC_TTL` and `specTtl` all become `specttl`. */
const fold = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * The candidate `typed` most likely meant, or undefined when none is close: the same name in another spelling
 * (`spec-ttl`, `PORTICO_SPEC_TTL` for `specTtl`), else the nearest by edit distance, within a third of its length.
 */
export function closest(typed: string, candidates: readonly string[], prefix = ''): string | undefined {
  const folded = fold(typed);
  const bare = folded.startsWith(fold(prefix)) ? folded.slice(fold(prefix).length) : folded;
  const same = candidates.find((candidate) => fold(candidate) === folded || fold(candidate) === bare);
  if (same) return same;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(bare, fold(candidate));
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(fold(best).length / 3)) ? best : undefined;
}

/** ` (did you mean "x"?)`, or nothing. */
export function didYouMean(typed: string, candidates: readonly string[], prefix = ''): string {
  const best = closest(typed, candidates, prefix);
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

/** Levenshtein distance, with a transposition counting as one edit (`sepc` → `spec`). */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}
