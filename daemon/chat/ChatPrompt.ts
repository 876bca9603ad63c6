import type { TokenizerSegment } from "../../cuda-engine/js/EngineBinding.js";

/**
 * A chat prompt in the parts the tokenizer must tell apart: the template's own text, whose
 * special-token texts ("<|start_header_id|>") become special tokens, and the messages' contents,
 * tokenized as plain text, so that a message spelling a marker cannot forge a turn (llama-server
 * parses special tokens in the whole prompt and can be fooled so). The parts are otherwise one
 * text: without special-token texts in the messages, the tokens equal those of `text` tokenized
 * with parseSpecial.
 */
export class ChatPrompt {
  readonly #segments: TokenizerSegment[] = [];

  /** Appends template text: its special-token texts are recognised. */
  marker(text: string): this {
    return this.#append(text, true);
  }

  /** Appends a message's content: tokenized as plain text. */
  content(text: string): this {
    return this.#append(text, false);
  }

  /** The parts in order, adjacent ones of a kind joined, none empty. */
  get segments(): readonly TokenizerSegment[] {
    return this.#segments;
  }

  /** The whole prompt as one string, as llama.cpp's llm_chat_apply_template writes it. */
  get text(): string {
    return this.#segments.map((segment) => segment.text).join("");
  }

  #append(text: string, parseSpecial: boolean): this {
    if (text === "") return this;
    const last = this.#segments.at(-1);
    if (last?.parseSpecial === parseSpecial) last.text += text;
    else this.#segments.push({ text, parseSpecial });
    return this;
  }
}
