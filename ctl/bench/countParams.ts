import type { GgufHeader } from "../../cuda-engine/js/EngineBinding.js";

/** Parameters of a model: every tensor's element count (the product of its shape), summed, as llama-bench counts them. */
export function countParams(header: GgufHeader): number {
  return header.tensors.reduce((sum, tensor) => sum + tensor.shape.reduce((n, d) => n * d, 1), 0);
}
