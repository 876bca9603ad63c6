/** Mean and sample standard deviation (divided by n − 1, as llama-bench; 0 for a single sample). */
export function sampleStats(samples: readonly number[]): { mean: number; sd: number } {
  const n = samples.length;
  const mean = samples.reduce((sum, x) => sum + x, 0) / n;
  if (n < 2) return { mean, sd: 0 };
  const squares = samples.reduce((sum, x) => sum + (x - mean) ** 2, 0);
  return { mean, sd: Math.sqrt(squares / (n - 1)) };
}
