/**
 * The shortest decimal that reads back as the same float32: GGUF stores epsilons and scales as
 * f32, so 1e-5 arrives as 9.999999747378752e-6; printing 1e-5 loses nothing, since parsing it
 * and rounding to f32 gives the same bits (9 significant digits always suffice for f32).
 */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value)) return value;
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return Number(value.toPrecision(9));
}
