import type { LlamaModelSpec } from "./resolveLlamaModel.js";

/**
 * A one-line description of a model: architecture, shape, mix and every variant, e.g.
 * "llama 8b q4_k_m, bpe vocab, 32/8 heads, separate output, rope llama3". The generator writes
 * it into general.name, so a file says what it is when llama.cpp or `ntctl inspect` opens it.
 */
export function describeLlamaModel(spec: LlamaModelSpec): string {
  const { shape } = spec;
  return [
    `${spec.arch} ${spec.shapeName} ${spec.mixName}`,
    `${spec.vocab} vocab`,
    `${shape.nHead}/${shape.nHeadKv} heads`,
    spec.tiedOutput ? "tied output" : "separate output",
    `rope ${spec.ropeScaling}`,
  ].join(", ");
}
