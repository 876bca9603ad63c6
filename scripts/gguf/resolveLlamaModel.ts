import { GgufWriteError } from "./GgufWriteError.js";
import { llamaShapes, type LlamaShape, type LlamaShapeName } from "./llamaShapes.js";
import { llamaWeightMixes, type LlamaWeightMix, type LlamaWeightMixName } from "./llamaWeightMixes.js";

/** What the model generator builds: a random-weight llama-family model that llama.cpp loads and runs. */
export interface RandomLlamaOptions {
  /** A shape from {@link llamaShapes}: dimensions, vocabulary size and the real model's defaults. */
  shape: LlamaShapeName;
  /** A mix from {@link llamaWeightMixes}: which types the matrices get. */
  mix: LlamaWeightMixName;
  /** Seed of all weights; same options give the same file. */
  seed: number;
  /**
   * "llama" (keys `llama.*`), or "qwen2" (keys `qwen2.*`, Q/K/V bias tensors, Qwen2's byte-level
   * BPE vocabulary with ChatML tokens). Default "llama".
   */
  arch?: "llama" | "qwen2";
  /**
   * The tokenizer of a llama model: "spm" (SentencePiece, Llama 2 style) or "bpe" (byte-level
   * BPE with Llama 3's special tokens and chat template, pre-tokenizer "llama-bpe"). qwen2 always
   * uses its own BPE vocabulary and refuses "spm". Default: the shape's (spm for tiny, bpe for
   * the Llama 3 shapes).
   */
  vocab?: "spm" | "bpe";
  /** Leave out output.weight so that llama.cpp uses token_embd as the output head. Default: the shape's (true for 1b). */
  tiedOutput?: boolean;
  /** Key/value heads; must divide the shape's head count (equal to it means no GQA). Default: the shape's. */
  kvHeads?: number;
  /** Transformer blocks, 1..1024 (tests of tier placement want more blocks than staging slots). Default: the shape's. */
  layers?: number;
  /**
   * "llama3" adds Llama 3.1's rope_freqs.weight tensor (factor 8, low_freq_factor 1,
   * high_freq_factor 4, original context 8192). llama only: llama.cpp's qwen2 loader has no
   * rope_freqs, and a tensor no loader takes fails the load. Default: the shape's for llama
   * (llama3 for 8b, 70b, 405b), "none" for qwen2.
   */
  ropeScaling?: "none" | "llama3";
}

/** A model with every option decided: what the tensor plan and the writer work from. */
export interface LlamaModelSpec {
  readonly arch: "llama" | "qwen2";
  /** The shape's name, for labels; `shape` may differ from llamaShapes[shapeName] by kvHeads and layers. */
  readonly shapeName: string;
  /** The dimensions, with the KV-head and layer overrides applied. */
  readonly shape: LlamaShape;
  readonly mixName: string;
  readonly mix: LlamaWeightMix;
  /** "spm" only for llama; qwen2 is always "bpe". */
  readonly vocab: "spm" | "bpe";
  readonly tiedOutput: boolean;
  readonly ropeScaling: "none" | "llama3";
}

/**
 * Applies the shape's defaults and checks the combination, throwing a GgufWriteError
 * (ERR_GGUF_BAD_OPTION) that names the option for one llama.cpp would not load.
 */
export function resolveLlamaModel(options: RandomLlamaOptions): LlamaModelSpec {
  const base = llamaShapes[options.shape] as LlamaShape | undefined;
  const mix = llamaWeightMixes[options.mix] as LlamaWeightMix | undefined;
  if (base === undefined) throw badOption(`unknown shape ${String(options.shape)}`);
  if (mix === undefined) throw badOption(`unknown mix ${String(options.mix)}`);
  const arch = options.arch ?? "llama";
  if (arch !== "llama" && arch !== "qwen2") throw badOption(`unknown arch ${String(arch)}`);
  if (arch === "qwen2" && options.vocab === "spm") {
    throw badOption("qwen2 uses its byte-level BPE vocabulary; --vocab spm is only for llama");
  }
  if (arch === "qwen2" && options.ropeScaling === "llama3") {
    throw badOption("llama3 rope scaling is only for llama: llama.cpp's qwen2 loader does not take rope_freqs.weight");
  }
  const nHeadKv = options.kvHeads ?? base.nHeadKv;
  if (!Number.isSafeInteger(nHeadKv) || nHeadKv < 1 || base.nHead % nHeadKv !== 0) {
    throw badOption(`kv heads ${nHeadKv} must be a positive divisor of the ${base.nHead} query heads of shape ${options.shape}`);
  }
  const nLayer = options.layers ?? base.nLayer;
  if (!Number.isSafeInteger(nLayer) || nLayer < 1 || nLayer > 1024) {
    throw badOption(`layers ${nLayer} must be a whole number from 1 to 1024`);
  }
  return {
    arch,
    shapeName: options.shape,
    shape: { ...base, nHeadKv, nLayer },
    mixName: options.mix,
    mix,
    vocab: arch === "qwen2" ? "bpe" : options.vocab ?? base.vocab,
    tiedOutput: options.tiedOutput ?? base.tiedOutput,
    ropeScaling: options.ropeScaling ?? (arch === "qwen2" ? "none" : base.ropeScaling),
  };
}

function badOption(message: string): GgufWriteError {
  return new GgufWriteError("ERR_GGUF_BAD_OPTION", message);
}
