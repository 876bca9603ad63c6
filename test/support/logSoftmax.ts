/** Log-probabilities of one position's n logits, starting at offset, in float64. */
export function logSoftmax(logits: Float32Array, offset: number, n: number): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[offset + i] ?? -Infinity);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp((logits[offset + i] ?? 0) - max);
  const out = new Float64Array(n);
  const logSum = Math.log(sum);
  for (let i = 0; i < n; i++) out[i] = (logits[offset + i] ?? 0) - max - logSum;
  return out;
}
