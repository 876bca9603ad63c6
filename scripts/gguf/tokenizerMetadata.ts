import { GgufValue as gguf } from "./GgufValue.js";
import { syntheticBpeVocab } from "./syntheticBpeVocab.js";
import { syntheticSpmVocab } from "./syntheticSpmVocab.js";

/** Which tokenizer a generated model carries. */
export type TokenizerKind = "spm" | "llama-bpe" | "qwen2";

/** Llama 3 Instruct's chat template (header tokens around the role, <|eot_id|> after each turn). */
const llama3ChatTemplate = "{% set loop_messages = messages %}{% for message in loop_messages %}"
  + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' %}"
  + "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
  + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

/** ChatML, as Qwen2 Instruct uses it. */
const chatMlTemplate = "{% for message in messages %}"
  + "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}"
  + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

/**
 * Llama 3's special tokens in id order from 128000: the named ones with reserved ones between
 * them, then reserved tokens up to 256 in all (Llama 3 keeps the last 256 ids for them).
 */
function llama3SpecialTokens(count: number): string[] {
  const named = ["<|begin_of_text|>", "<|end_of_text|>", "", "", "", "", "<|start_header_id|>", "<|end_header_id|>", "", "<|eot_id|>"];
  const tokens: string[] = [];
  let reserved = 0;
  for (let i = 0; i < count; i++) tokens.push(named[i] || `<|reserved_special_token_${reserved++}|>`);
  return tokens;
}

/** Below this many tokens, a llama-bpe vocabulary keeps only Llama 3's first ten special ids, leaving room for merges. */
const fullLlama3SpecialsFrom = 4096;

/**
 * The `tokenizer.ggml.*` metadata of a synthetic vocabulary of `nVocab` tokens, as llama.cpp's
 * llama-vocab.cpp reads it:
 * - "spm": SentencePiece (model "llama") laid out like Llama 2's, <s> / </s>, add_bos.
 * - "llama-bpe": byte-level BPE (model "gpt2", pre "llama-bpe") with Llama 3's special tokens
 *   at the end, bos <|begin_of_text|>, eos <|eot_id|> (as in Llama 3 Instruct files), add_bos,
 *   and Llama 3's chat template.
 * - "qwen2": byte-level BPE (model "gpt2", pre "qwen2") ending in <|endoftext|>, <|im_start|>,
 *   <|im_end|>; bos and padding <|endoftext|>, eos <|im_end|>, no bos added, ChatML template —
 *   the ids and flags of Qwen2 Instruct's files.
 */
export function tokenizerMetadata(kind: TokenizerKind, nVocab: number): [string, gguf][] {
  if (kind === "spm") {
    const vocab = syntheticSpmVocab(nVocab);
    return [
      ["tokenizer.ggml.model", gguf.str("llama")],
      ["tokenizer.ggml.tokens", gguf.array("string", vocab.tokens)],
      ["tokenizer.ggml.scores", gguf.array("f32", vocab.scores)],
      ["tokenizer.ggml.token_type", gguf.array("i32", vocab.tokenTypes)],
      ["tokenizer.ggml.bos_token_id", gguf.u32(1)],
      ["tokenizer.ggml.eos_token_id", gguf.u32(2)],
      ["tokenizer.ggml.unknown_token_id", gguf.u32(0)],
      ["tokenizer.ggml.add_bos_token", gguf.bool(true)],
      ["tokenizer.ggml.add_eos_token", gguf.bool(false)],
    ];
  }
  const specials = kind === "qwen2"
    ? ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    : llama3SpecialTokens(nVocab >= fullLlama3SpecialsFrom ? 256 : 10);
  const vocab = syntheticBpeVocab(nVocab, specials);
  const id = (token: string) => gguf.u32(vocab.tokens.lastIndexOf(token));
  const common: [string, gguf][] = [
    ["tokenizer.ggml.model", gguf.str("gpt2")],
    ["tokenizer.ggml.pre", gguf.str(kind)],
    ["tokenizer.ggml.tokens", gguf.array("string", vocab.tokens)],
    ["tokenizer.ggml.token_type", gguf.array("i32", vocab.tokenTypes)],
    ["tokenizer.ggml.merges", gguf.array("string", vocab.merges)],
  ];
  if (kind === "qwen2") {
    return [
      ...common,
      ["tokenizer.ggml.bos_token_id", id("<|endoftext|>")],
      ["tokenizer.ggml.eos_token_id", id("<|im_end|>")],
      ["tokenizer.ggml.padding_token_id", id("<|endoftext|>")],
      ["tokenizer.ggml.add_bos_token", gguf.bool(false)],
      ["tokenizer.chat_template", gguf.str(chatMlTemplate)],
    ];
  }
  return [
    ...common,
    ["tokenizer.ggml.bos_token_id", id("<|begin_of_text|>")],
    ["tokenizer.ggml.eos_token_id", id("<|eot_id|>")],
    ["tokenizer.ggml.add_bos_token", gguf.bool(true)],
    ["tokenizer.ggml.add_eos_token", gguf.bool(false)],
    ["tokenizer.chat_template", gguf.str(llama3ChatTemplate)],
  ];
}
