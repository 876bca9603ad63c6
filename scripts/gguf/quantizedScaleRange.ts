import type { SupportedGgmlTypeName } from "./ggmlTypes.js";

/**
 * RMS of a dequantized weight of a block with uniformly random bytes when its f16 scale d is 1
 * and its min field centres it (randomTensorData), from ggml-common.h's block formats: Q4_0
 * d·(q-8), q∈0..15 → √21.5; Q4_1 d·(q−7.5) → √21.25; Q5_0 d·(q-16) → √85.5; Q5_1 d·(q−15.5) →
 * √85.25; Q8_0 d·q, q∈-128..127 → √5461.5; Q3_K d·(sc−32)·(q−4) (6-bit sc, q∈0..7) →
 * √(341.5·5.5); Q6_K d·sc·(q−32) (int8 sc, q∈0..63) → √(5461.5·341.5). The K-quants with a min,
 * d·(sc·q − E[q]·m) with sc and m alike: E[sc²](E[q²] + E[q]²) − 2·E[q]²·E[sc]² — Q2_K (4-bit sc,
 * m; q∈0..3) → √192.5, Q4_K (6-bit; q∈0..15) → √66727.5, Q5_K (q∈0..31) → √277649.5.
 */
const unitRms: Partial<Record<SupportedGgmlTypeName, number>> = {
  Q4_0: Math.sqrt(21.5), Q4_1: Math.sqrt(21.25), Q5_0: Math.sqrt(85.5), Q5_1: Math.sqrt(85.25),
  Q8_0: Math.sqrt(5461.5), Q2_K: Math.sqrt(192.5), Q3_K: Math.sqrt(341.5 * 5.5),
  Q4_K: Math.sqrt(66727.5), Q5_K: Math.sqrt(277649.5), Q6_K: Math.sqrt(5461.5 * 341.5),
};

/** randomTensorData takes only normal f16 scales; K-quant blocks of wide matrices would want smaller ones. */
const smallestNormalF16 = 2 ** -14;

/**
 * The f16 block-scale range that gives a random quantized matrix of `fanIn` inputs about the
 * RMS of the float matrices (uniform in ±1/√fanIn, RMS 1/√(3·fanIn)), so every mix yields
 * activations of the same size instead of ones that grow with the type's quant range. The
 * range spans 0.5..1.5× the ideal scale, floored at the smallest normal f16 (2^-14), which
 * leaves the widest K-quant matrices (Q5_K, Q6_K beyond a few thousand inputs) a few times
 * larger than the float ones. Undefined for float types.
 */
export function quantizedScaleRange(type: SupportedGgmlTypeName, fanIn: number): [number, number] | undefined {
  const rms = unitRms[type];
  if (rms === undefined) return undefined;
  const scale = 1 / (Math.sqrt(3 * fanIn) * rms);
  const low = Math.max(0.5 * scale, smallestNormalF16);
  return [low, Math.max(1.5 * scale, low)];
}
