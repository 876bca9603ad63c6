import type { SupportedGgmlTypeName } from "./ggmlTypes.js";

/** The matrices of a llama-family model, by the role their llama.cpp tensor name gives them. */
export type LlamaMatrixRole =
  | "token_embd" | "output"
  | "attn_q" | "attn_k" | "attn_v" | "attn_output"
  | "ffn_gate" | "ffn_up" | "ffn_down";

/** What a mix may look at besides the matrix's role and layer, as llama.cpp's quantizer does. */
export interface LlamaMixContext {
  /** Transformer blocks of the model. */
  readonly nLayer: number;
  /** No output.weight: token_embd doubles as the output head (llama.cpp then quantizes it as the output). */
  readonly tiedOutput: boolean;
  /** llama.cpp would classify the model as LLM_TYPE_70B (llama arch, 80 layers, GQA). */
  readonly llama70B: boolean;
}

/** Which tensor type each matrix gets; norms, biases and rope_freqs are always F32. */
export interface LlamaWeightMix {
  /** `general.file_type`: llama.cpp's `enum llama_ftype` value for this mix. */
  readonly fileType: number;
  /** The type of the matrix with `role` in block `layer` (undefined for token_embd and output). */
  matrixType(role: LlamaMatrixRole, layer: number | undefined, context: LlamaMixContext): SupportedGgmlTypeName;
}

/** Every matrix, token_embd and output included, in `type`, so a file exercises exactly that type. */
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
 * llama.cpp's K_M recipe (llama-quant.cpp llama_tensor_get_type) on top of `base`: the output
 * head, or token_embd when it doubles as the head, in Q6_K; attn_v and ffn_down in Q6_K in the
 * use_more_bits layers; and in a 70B-class model attn_v at least Q5_K (its 8 KV heads make
 * attn_v 8× smaller than attn_q, so more bits cost little).
 */
function kMedium(fileType: number, base: "Q4_K" | "Q5_K"): LlamaWeightMix {
  return {
    fileType,
    matrixType(role, layer, { nLayer, tiedOutput, llama70B }) {
      if (role === "output" || (role === "token_embd" && tiedOutput)) return "Q6_K";
      const moreBits = layer !== undefined && useMoreBits(layer, nLayer);
      if ((role === "attn_v" || role === "ffn_down") && moreBits) return "Q6_K";
      if (role === "attn_v" && llama70B && base === "Q4_K") return "Q5_K";
      return base;
    },
  };
}

/**
 * The generator's weight mixes. file_type values are llama.cpp's `enum llama_ftype`
 * (ALL_F32 0, MOSTLY_F16 1, Q4_0 2, Q4_1 3, Q8_0 7, Q5_0 8, Q5_1 9, Q2_K 10, Q3_K_S 11,
 * Q4_K_S 14, Q4_K_M 15, Q5_K_S 16, Q5_K_M 17, Q6_K 18, BF16 32); a single-K-type mix is
 * labelled with the _S ftype that is mostly that type. The single-type mixes use their type
 * for every matrix, output and token_embd included (unlike llama.cpp's Q4_0, which keeps
 * output in Q6_K), so such a file exercises exactly one type; q4_k_m and q5_k_m follow
 * llama.cpp's recipe, and llama.cpp's Q6_K is the same as the single-type q6_k.
 */
export const llamaWeightMixes = {
  f32: uniform(0, "F32"),
  f16: uniform(1, "F16"),
  bf16: uniform(32, "BF16"),
  q8_0: uniform(7, "Q8_0"),
  q4_0: uniform(2, "Q4_0"),
  q4_1: uniform(3, "Q4_1"),
  q5_0: uniform(8, "Q5_0"),
  q5_1: uniform(9, "Q5_1"),
  q2_k: uniform(10, "Q2_K"),
  q3_k: uniform(11, "Q3_K"),
  q4_k: uniform(14, "Q4_K"),
  q5_k: uniform(16, "Q5_K"),
  q6_k: uniform(18, "Q6_K"),
  q4_k_m: kMedium(15, "Q4_K"),
  q5_k_m: kMedium(17, "Q5_K"),
} as const satisfies Record<string, LlamaWeightMix>;

/** The name of a mix in {@link llamaWeightMixes}. */
export type LlamaWeightMixName = keyof typeof llamaWeightMixes;
