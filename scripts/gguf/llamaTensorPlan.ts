import type { SupportedGgmlTypeName } from "./ggmlTypes.js";
import type { LlamaShape } from "./llamaShapes.js";
import type { LlamaMatrixRole, LlamaWeightMix } from "./llamaWeightMixes.js";

/** One tensor of a llama model: llama.cpp name, type, shape in ne order (ne[0] innermost). */
export interface LlamaTensorPlanEntry {
  readonly name: string;
  readonly type: SupportedGgmlTypeName;
  readonly shape: readonly number[];
  /** Norm weights (1-D, F32, values near 1) or weight matrices. */
  readonly kind: "norm" | "matrix";
}

/**
 * The tensors of a llama model of `shape` with matrix types from `mix`, in the order the
 * forward pass uses them (token_embd, then per block attention and feed-forward, then
 * output_norm and output), with llama.cpp's names (llama-arch.cpp LLM_TENSOR_NAMES). A matrix
 * [ne0, ne1] maps ne0 inputs to ne1 outputs, so attn_k/attn_v are [n_embd, n_embd_kv] with
 * n_embd_kv = head_dim × n_head_kv.
 */
export function llamaTensorPlan(shape: LlamaShape, mix: LlamaWeightMix): LlamaTensorPlanEntry[] {
  const nEmbdKv = (shape.nEmbd / shape.nHead) * shape.nHeadKv;
  const matrix = (name: string, role: LlamaMatrixRole, layer: number | undefined, dims: number[]) =>
    ({ name, type: mix.matrixType(role, layer, shape.nLayer), shape: dims, kind: "matrix" }) as const;
  const norm = (name: string) => ({ name, type: "F32", shape: [shape.nEmbd], kind: "norm" }) as const;

  const plan: LlamaTensorPlanEntry[] = [matrix("token_embd.weight", "token_embd", undefined, [shape.nEmbd, shape.nVocab])];
  for (let i = 0; i < shape.nLayer; i++) {
    const blk = `blk.${i}`;
    plan.push(
      norm(`${blk}.attn_norm.weight`),
      matrix(`${blk}.attn_q.weight`, "attn_q", i, [shape.nEmbd, shape.nEmbd]),
      matrix(`${blk}.attn_k.weight`, "attn_k", i, [shape.nEmbd, nEmbdKv]),
      matrix(`${blk}.attn_v.weight`, "attn_v", i, [shape.nEmbd, nEmbdKv]),
      matrix(`${blk}.attn_output.weight`, "attn_output", i, [shape.nEmbd, shape.nEmbd]),
      norm(`${blk}.ffn_norm.weight`),
      matrix(`${blk}.ffn_gate.weight`, "ffn_gate", i, [shape.nEmbd, shape.nFf]),
      matrix(`${blk}.ffn_up.weight`, "ffn_up", i, [shape.nEmbd, shape.nFf]),
      matrix(`${blk}.ffn_down.weight`, "ffn_down", i, [shape.nFf, shape.nEmbd]),
    );
  }
  plan.push(norm("output_norm.weight"), matrix("output.weight", "output", undefined, [shape.nEmbd, shape.nVocab]));
  return plan;
}
