import type { SupportedGgmlTypeName } from "./ggmlTypes.js";

/** The matrices of a llama model, by the role their llama.cpp tensor name gives them. */
export type LlamaMatrixRole =
  | "token_embd" | "output"
  | "attn_q" | "attn_k" | "attn_v" | "attn_output"
  | "ffn_gate" | "ffn_up" | "ffn_down";

/** Which tensor type each matrix gets; norm weights are always F32. */
export interface LlamaWeightMix {
  /** `general.file_type`: llama.cpp's `enum llama_ftype` value for this mix. */
  readonly fileType: number;
  /** The type of the matrix with `role` in block `layer` (undefined for token_embd and output). */
  matrixType(role: LlamaMatrixRole, layer: number | undefined, nLayer: number): SupportedGgmlTypeName;
}

function uniform(fileType: number, type: SupportedGgmlTypeName): LlamaWeightMix {
  return { fileType, matrixType: () => type };
}

/**
 * llama.cpp's `use_more_bits` (llama-quant.cpp): the first and last eighth of the layers and
 * every third one in between get more bits in the _M mixes.
 */
function useMoreBits(layer: number, nLayer: number): boolean {
  const eighth = Math.floor(nLayer / 8);
  return layer < eighth || layer >= Math.floor((7 * nLayer) / 8) || (layer - eighth) % 3 === 2;
}

/**
 * Like llama.cpp's Q4_K_M (LLAMA_FTYPE_MOSTLY_Q4_K_M = 15): Q4_K everywhere except output
 * (Q6_K) and attn_v / ffn_down in the use_more_bits layers (Q6_K).
 */
const q4KM: LlamaWeightMix = {
  fileType: 15,
  matrixType(role, layer, nLayer) {
    if (role === "output") return "Q6_K";
    const moreBits = layer !== undefined && useMoreBits(layer, nLayer);
    return (role === "attn_v" || role === "ffn_down") && moreBits ? "Q6_K" : "Q4_K";
  },
};

/**
 * The generator's weight mixes. file_type values are llama.cpp's `enum llama_ftype`
 * (ALL_F32 0, MOSTLY_F16 1, MOSTLY_Q4_0 2, MOSTLY_Q8_0 7, MOSTLY_Q4_K_M 15, MOSTLY_BF16 32).
 * The single-type mixes use their type for every matrix, output and token_embd included (unlike
 * llama.cpp's Q4_0, which keeps output in Q6_K), so such a file exercises exactly one type.
 */
export const llamaWeightMixes = {
  f32: uniform(0, "F32"),
  f16: uniform(1, "F16"),
  bf16: uniform(32, "BF16"),
  q8_0: uniform(7, "Q8_0"),
  q4_0: uniform(2, "Q4_0"),
  q4_k_m: q4KM,
} as const satisfies Record<string, LlamaWeightMix>;

/** The name of a mix in {@link llamaWeightMixes}. */
export type LlamaWeightMixName = keyof typeof llamaWeightMixes;
