// The synthetic byte-level BPE vocabulary that qwen2 and Llama 3-style models carry: llama.cpp's
// BPE tokenizer needs every merge to join two tokens into a third, and every byte to be a token.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gpt2ByteChars, syntheticBpeVocab } from "../scripts/gguf/syntheticBpeVocab.js";

const chatMl = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

describe("GPT-2 byte characters", () => {
  it("map the 256 bytes one-to-one, printable bytes to themselves first, as GPT-2's vocabulary orders them", () => {
    const chars = gpt2ByteChars();
    assert.equal(chars.length, 256);
    assert.deepEqual(new Set(chars.map((c) => c.byte)).size, 256);
    assert.deepEqual(new Set(chars.map((c) => c.char)).size, 256);
    assert.deepEqual(chars[0], { byte: 0x21, char: "!" });
    assert.deepEqual(chars[187], { byte: 0xff, char: "ÿ" });
    // GPT-2 and Llama 3 both have "Ġ" (space) at id 220 and "Ċ" (newline) at id 198.
    assert.deepEqual(chars[220], { byte: 0x20, char: "Ġ" });
    assert.deepEqual(chars[198], { byte: 0x0a, char: "Ċ" });
    assert.deepEqual(chars[188], { byte: 0x00, char: "\u0100" });
  });
});

describe("synthetic BPE vocabulary", () => {
  for (const [nVocab, specials] of [[512, chatMl], [4096, chatMl], [128256, Array.from({ length: 256 }, (_, i) => `<|s${i}|>`)]] as const) {
    it(`is consistent at ${nVocab} tokens: byte tokens, merges whose parts come earlier, specials last`, () => {
      const vocab = syntheticBpeVocab(nVocab, specials);
      assert.equal(vocab.tokens.length, nVocab);
      assert.equal(new Set(vocab.tokens).size, nVocab, "all tokens unique");
      assert.deepEqual(vocab.tokens.slice(0, 256), gpt2ByteChars().map((c) => c.char), "every byte is a token");
      assert.equal(vocab.merges.length, nVocab - 256 - specials.length);
      const id = new Map(vocab.tokens.map((t, i) => [t, i]));
      for (const [rank, merge] of vocab.merges.entries()) {
        const parts = merge.split(" ");
        assert.equal(parts.length, 2, merge);
        const [a, b] = parts as [string, string];
        const result = 256 + rank;
        assert.equal(vocab.tokens[result], a + b, `merge ${rank} "${merge}" makes the token after the previous merge's`);
        assert.ok((id.get(a) ?? Infinity) < result && (id.get(b) ?? Infinity) < result, `parts of "${merge}" come earlier`);
      }
      assert.deepEqual(vocab.tokens.slice(-specials.length), specials);
      assert.ok(vocab.tokenTypes.subarray(0, nVocab - specials.length).every((t) => t === 1), "normal tokens");
      assert.ok(vocab.tokenTypes.subarray(nVocab - specials.length).every((t) => t === 3), "control tokens");
    });
  }

  it("starts with real English merges, then whole lowercase words", () => {
    const { merges, tokens } = syntheticBpeVocab(4096, chatMl);
    assert.deepEqual(merges.slice(0, 3), ["Ġ t", "h e", "Ġt he"]);
    for (const word of ["Ġthe", "Ġand", "Ġwas", "ing", "Ġrobot", "Ġsea"]) assert.ok(tokens.includes(word), word);
    assert.ok(tokens.includes("Ġzz") && tokens.includes("zz"), "every two-letter word");
  });

  it("is deterministic and refuses a vocabulary too small for its bytes and specials", () => {
    assert.deepEqual(syntheticBpeVocab(1000, chatMl), syntheticBpeVocab(1000, chatMl));
    assert.equal(syntheticBpeVocab(259, chatMl).merges.length, 0);
    assert.throws(() => syntheticBpeVocab(258, chatMl), RangeError);
  });
});
