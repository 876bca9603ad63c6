/** Llama 3.1's `rope_scaling` block of config.json (rope_type "llama3"). */
export interface Llama3RopeScaling {
  /** How much the low frequencies are stretched. Default 8 (Llama 3.1). */
  factor?: number;
  /** Wavelengths above original / lowFreqFactor are divided by `factor` entirely. Default 1. */
  lowFreqFactor?: number;
  /** Wavelengths below original / highFreqFactor are left alone. Default 4. */
  highFreqFactor?: number;
  /** The context length the model was pre-trained with. Default 8192. */
  originalContextLength?: number;
}

/**
 * The contents of `rope_freqs.weight` for Llama 3.1-style RoPE scaling: one divisor per rotated
 * pair i of a head of `headDim`, for the base frequency theta^(-2i/headDim). llama.cpp's
 * rope divides each frequency by its factor, and its converter (convert_hf_to_gguf.py,
 * LlamaModel.generate_extra_tensors) writes: 1 where the wavelength 2π/freq is below
 * original/highFreqFactor, `factor` where it is above original/lowFreqFactor, and between them
 * 1 / ((1 - s) / factor + s) with s = (original / wavelength - lowFreqFactor) /
 * (highFreqFactor - lowFreqFactor), so the stretch blends smoothly from none to full. Computed in
 * double precision and rounded once to float32; the converter's float32 arithmetic may differ in
 * the last bit, which does not matter since every engine reads the factors from the file.
 */
export function llama3RopeFactors(headDim: number, theta: number, scaling: Llama3RopeScaling = {}): Float32Array {
  const { factor = 8, lowFreqFactor = 1, highFreqFactor = 4, originalContextLength = 8192 } = scaling;
  if (!Number.isSafeInteger(headDim) || headDim < 2 || headDim % 2 !== 0) {
    throw new RangeError(`llama3 rope factors need an even head dimension, got ${headDim}`);
  }
  const lowFreqWavelength = originalContextLength / lowFreqFactor;
  const highFreqWavelength = originalContextLength / highFreqFactor;
  const factors = new Float32Array(headDim / 2);
  for (let i = 0; i < factors.length; i++) {
    const wavelength = (2 * Math.PI) / theta ** (-(2 * i) / headDim);
    if (wavelength < highFreqWavelength) {
      factors[i] = 1;
    } else if (wavelength > lowFreqWavelength) {
      factors[i] = factor;
    } else {
      const smooth = (originalContextLength / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
      factors[i] = 1 / ((1 - smooth) / factor + smooth);
    }
  }
  return factors;
}
