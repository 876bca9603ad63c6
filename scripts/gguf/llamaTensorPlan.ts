import { GgufWriteError } from "./GgufWriteError.js";
import { ggmlTypes, type SupportedGgmlTypeName } from "./ggmlTypes.js";
import type { LlamaMatrixRole, LlamaMixContext } from "./llamaWeightMixes.js";
import type { LlamaModelSpec } from "./resolveLlamaModel.js";

/** One tensor of a llama-family model: llama.cpp name, type, shape in ne order (ne[0] innermost). */
export interface LlamaTensorPlanEntry {
  readonly name: string;
  readonly type: SupportedGgmlTypeName;
  readonly shape: readonly number[];
  /**
   * What the data is: norm weights (F32, near 1), weight matrices, Q/K/V biases (F32), or the
   * llama3 RoPE frequency factors (F32, computed, not random).
   */
  readonly kind: "norm" | "matrix" | "bias" | "rope_freqs";
}

/**
 * The tensors of the model `spec` describes, with llama.cpp's names (llama-arch.cpp
 * LLM_TENSOR_NAMES): rope_freqs first when llama3 scaling is on (as llama.cpp's converter
 * writes it), token_embd, per block attention then feed-forward, output_norm, and output
 * unless tied. A matrix [ne0, ne1] maps ne0 inputs to ne1 outputs, so attn_k/attn_v are
 * [n_embd, n_embd_kv] with n_embd_kv = head_dim × n_head_kv. qwen2 adds F32 biases after
 * attn_q/k/v. Throws a GgufWriteError (ERR_GGUF_BAD_SHAPE) naming the mix, tensor and type
 * when a matrix's ne[0] is not a multiple of its type's block size.
 */
export function llamaTensorPlan(spec: LlamaModelSpec): LlamaTensorPlanEntry[] {
  const { shape } = spec;
  const headDim = shape.nEmbd / shape.nHead;
  const nEmbdKv = headDim * shape.nHeadKv;
  const context: LlamaMixContext = {
    nLayer: shape.nLayer,
    tiedOutput: spec.tiedOutput,
    // llama.cpp's llama loader: 80 layers with n_head != n_head_kv is LLM_TYPE_70B.
    llama70B: spec.arch === "llama" && shape.nLayer === 80 && shape.nHead !== shape.nHeadKv,
  };
  const matrix = (name: string, role: LlamaMatrixRole, layer: number | undefined, dims: number[]) =>
    checkBlocks(spec, { name, type: spec.mix.matrixType(role, layer, context), shape: dims, kind: "matrix" });
  const f32 = (name: string, kind: "norm" | "bias" | "rope_freqs", length: number) =>
    ({ name, type: "F32", shape: [length], kind }) as const;

  const plan: LlamaTensorPlanEntry[] = [];
  // llama.cpp reads it as {n_rot / 2}: one factor per rotated pair of the head.
  if (spec.ropeScaling === "llama3") plan.push(f32("rope_freqs.weight", "rope_freqs", headDim / 2));
  plan.push(matrix("token_embd.weight", "token_embd", undefined, [shape.nEmbd, shape.nVocab]));
  for (let i = 0; i < shape.nLayer; i++) {
    const blk = `blk.${i}`;
    const bias = (name: string, length: number) => (spec.arch === "qwen2" ? [f32(`${blk}.${name}.bias`, "bias", length)] : []);
    plan.push(
      f32(`${blk}.attn_norm.weight`, "norm", shape.nEmbd),
      matrix(`${blk}.attn_q.weight`, "attn_q", i, [shape.nEmbd, shape.nEmbd]),
      ...bias("attn_q", shape.nEmbd),
      matrix(`${blk}.attn_k.weight`, "attn_k", i, [shape.nEmbd, nEmbdKv]),
      ...bias("attn_k", nEmbdKv),
      matrix(`${blk}.attn_v.weight`, "attn_v", i, [shape.nEmbd, nEmbdKv]),
      ...bias("attn_v", nEmbdKv),
      matrix(`${blk}.attn_output.weight`, "attn_output", i, [shape.nEmbd, shape.nEmbd]),
      f32(`${blk}.ffn_norm.weight`, "norm", shape.nEmbd),
      matrix(`${blk}.ffn_gate.weight`, "ffn_gate", i, [shape.nEmbd, shape.nFf]),
      matrix(`${blk}.ffn_up.weight`, "ffn_up", i, [shape.nEmbd, shape.nFf]),
      matrix(`${blk}.ffn_down.weight`, "ffn_down", i, [shape.nFf, shape.nEmbd]),
    );
  }
  plan.push(f32("output_norm.weight", "norm", shape.nEmbd));
  if (!spec.tiedOutput) plan.push(matrix("output.weight", "output", undefined, [shape.nEmbd, shape.nVocab]));
  return plan;
}

/** ggml blocks never span rows, so ne[0] must hold whole blocks (llama.cpp's quantizer falls back to another type; we refuse). */
function checkBlocks(spec: LlamaModelSpec, entry: LlamaTensorPlanEntry): LlamaTensorPlanEntry {
  const { blockSize } = ggmlTypes[entry.type];
  const ne0 = entry.shape[0] as number;
  if (ne0 % blockSize !== 0) {
    throw new GgufWriteError("ERR_GGUF_BAD_SHAPE",
      `mix ${spec.mixName} puts ${entry.name} [${entry.shape.join(", ")}] in ${entry.type}, whose blocks span `
      + `${blockSize} elements of ne[0], but ne[0] = ${ne0} is not a multiple of ${blockSize} (shape ${spec.shapeName})`);
  }
  return entry;
}
