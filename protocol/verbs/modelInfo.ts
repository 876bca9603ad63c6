import { z } from "zod";
import { modelPlacementSchema } from "./modelPlacement.js";

// A loaded model as the protocol reports it. The fields mirror NativeModelInfo in
// cuda-engine/js/EngineBinding.ts (which protocol/ may not import); the daemon copies them by
// name, so a field the addon adds does not reach the wire until it is added here.

/** What a loaded model is: its hyper-parameters, memory, special tokens and chat format. */
export const modelInfoSchema = z.strictObject({
  /** general.architecture, e.g. "llama". */
  architecture: z.string(),
  /** Tokens in the vocabulary; valid token ids are 0 … nVocab-1. */
  nVocab: z.int().positive(),
  /** Context size per sequence, in tokens: prompt plus generated tokens fit in it. */
  nCtx: z.int().positive(),
  /** The context length the model was trained with. */
  nCtxTrain: z.int().nonnegative(),
  nEmbd: z.int().positive(),
  nLayer: z.int().positive(),
  nHead: z.int().positive(),
  nHeadKv: z.int().positive(),
  nFf: z.int().nonnegative(),
  /** CPU threads of the forward pass. */
  threads: z.int().positive(),
  /** Bytes of weights held in memory. */
  weightBytes: z.number().nonnegative(),
  /** Bytes of keys and values one sequence's full context takes. */
  kvBytesPerSequence: z.number().nonnegative(),
  /** BOS and EOS token ids, -1 when the vocabulary has none. */
  bos: z.int().min(-1),
  eos: z.int().min(-1),
  /**
   * The chat template family `chat` applies ("llama3", "llama2", "llama2-sys", "mistral-v3",
   * "chatml", …), detected from tokenizer.chat_template; absent when the file has no template or
   * one of a family the daemon cannot apply (then `chat` answers NT_E_UNSUPPORTED).
   */
  chatFormat: z.string().optional(),
  /** The backend the model runs on. */
  backend: z.enum(["cpu", "cuda"]).optional(),
  /**
   * Where its weights live and what a pass costs; absent when the engine's placement does not fit
   * the protocol (the daemon logs why at load).
   */
  placement: modelPlacementSchema.optional(),
});

export type ModelInfo = z.infer<typeof modelInfoSchema>;
