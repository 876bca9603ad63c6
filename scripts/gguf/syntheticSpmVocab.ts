/** A SentencePiece ("llama") vocabulary as the tokenizer.ggml.* arrays hold it. */
export interface SpmVocab {
  /** tokenizer.ggml.tokens: all unique. */
  readonly tokens: string[];
  /** tokenizer.ggml.scores: 0 for special and byte tokens, then decreasing (higher merges first). */
  readonly scores: Float32Array;
  /** tokenizer.ggml.token_type: llama.cpp's LLAMA_TOKEN_TYPE_* values. */
  readonly tokenTypes: Int32Array;
}

/** llama.cpp's llama_token_type values (llama.h). */
const tokenType = { normal: 1, unknown: 2, control: 3, byte: 6 } as const;
/** SentencePiece's word-boundary marker U+2581, which stands for a space. */
const space = "\u2581";
const singleChars = "etaoinshrdlcumwfgypbvkjxqzETAOINSHRDLCUMWFGYPBVKJXQZ0123456789.,!?'";
const lowercase = "etaoinshrdlcumwfgypbvkjxqz";
/** <unk>, <s>, </s>, 256 byte tokens and the bare space piece come before any other piece. */
const fixedTokens = 3 + 256 + 1;

/**
 * A deterministic, made-up SentencePiece vocabulary of `nVocab` tokens laid out like Llama 2's:
 * 0 <unk> (unknown), 1 <s> and 2 </s> (control), 3..258 the byte tokens <0x00>..<0xFF> (byte),
 * then normal pieces: "▁", every single character bare and ▁-prefixed, then lowercase strings
 * of length 2, 3, … bare and ▁-prefixed, until nVocab. Every string is new by construction.
 */
export function syntheticSpmVocab(nVocab: number): SpmVocab {
  if (!Number.isSafeInteger(nVocab) || nVocab < fixedTokens) {
    throw new RangeError(`a synthetic SentencePiece vocabulary needs at least ${fixedTokens} tokens, got ${nVocab}`);
  }
  const tokens = ["<unk>", "<s>", "</s>"];
  for (let b = 0; b < 256; b++) tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
  for (const piece of pieces()) {
    if (tokens.length === nVocab) break;
    tokens.push(piece);
  }
  const scores = new Float32Array(nVocab);
  const tokenTypes = new Int32Array(nVocab).fill(tokenType.normal);
  tokenTypes.set([tokenType.unknown, tokenType.control, tokenType.control]);
  tokenTypes.fill(tokenType.byte, 3, 259);
  for (let id = 259; id < nVocab; id++) scores[id] = -(id - 259);
  return { tokens, scores, tokenTypes };
}

function* pieces(): Generator<string> {
  yield space;
  for (const c of singleChars) yield* [`${space}${c}`, c];
  for (let length = 2; ; length++) {
    for (const s of strings(lowercase, length)) yield* [`${space}${s}`, s];
  }
}

/** Every string of `length` characters over `alphabet`, in lexicographic order of the alphabet. */
function* strings(alphabet: string, length: number): Generator<string> {
  if (length === 0) {
    yield "";
    return;
  }
  for (const prefix of strings(alphabet, length - 1)) {
    for (const c of alphabet) yield prefix + c;
  }
}
