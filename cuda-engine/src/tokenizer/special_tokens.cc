// The token texts below are facts from llama.cpp's llama-vocab.cpp (llama_vocab::impl::load):
// conversions often leave end-of-turn and fill-in-the-middle tokens unnamed in the metadata, or
// typed as normal, and llama.cpp recognises them by text. Matching its lists keeps parse_special,
// token_to_piece and the end-of-generation set identical.
#include <algorithm>
#include <initializer_list>
#include <string>

#include "tokenizer/vocabulary.h"

namespace nt {

namespace {

using Texts = std::initializer_list<const char*>;

const Texts kEotTexts = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                         "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>",
                         "<end_of_utterance>"};
const Texts kEomTexts = {"<|eom_id|>"};
const Texts kFimPreTexts = {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>",
                            "▁<PRE>", "<|code_prefix|>", "<|prefix|>"};
const Texts kFimSufTexts = {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>",
                            "▁<SUF>", "<|code_suffix|>", "<|suffix|>"};
const Texts kFimMidTexts = {"<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>",
                            "▁<MID>", "<|code_middle|>", "<|middle|>"};
const Texts kFimPadTexts = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"};
const Texts kFimRepTexts = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"};
const Texts kFimSepTexts = {"<|file_sep|>"};

// Tokens that end generation whatever the metadata says.
const Texts kEndOfGenerationTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
    "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
    "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
    "<｜end▁of▁sentence｜>", "[e~["};

// gpt-oss (o200k_harmony) markers that llama.cpp always renders: user-defined, not control.
const Texts kAlwaysRenderedTexts = {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"};

bool is_one_of(const std::string& text, Texts texts) {
  return std::any_of(texts.begin(), texts.end(), [&](const char* t) { return text == t; });
}

// A role the metadata left unset goes to the first token (by id) with one of its texts, which
// becomes a control token.
void find_role_by_text(Vocabulary& vocab, TokenId& role, Texts texts) {
  if (role >= 0) return;
  for (TokenId id = 0; id < vocab.size(); ++id) {
    if (is_one_of(vocab.tokens[id].text, texts)) {
      role = id;
      vocab.tokens[id].attrs |= kAttrControl;
      return;
    }
  }
}

TokenId end_of_generation_with_text(const Vocabulary& vocab, const std::vector<TokenId>& eog, Texts texts) {
  for (TokenId id : eog) {
    if (is_one_of(vocab.tokens[id].text, texts)) return id;
  }
  return -1;
}

void remove_end_of_generation(std::vector<TokenId>& eog, TokenId id) {
  eog.erase(std::remove(eog.begin(), eog.end(), id), eog.end());
}

// Harmony and solar-open use <|end|> between messages, not at the end of the answer; llama.cpp
// recognises them by <|return|>/<|call|> (or <|calls|>/<|flush|>) and drops <|end|>. Gemma 4 and
// PaddleOCR use </s> inside turns, recognised by <|tool_response>.
void apply_end_of_generation_exceptions(Vocabulary& vocab, std::vector<TokenId>& eog) {
  const TokenId end = end_of_generation_with_text(vocab, eog, {"<|end|>"});
  const bool has_return = end_of_generation_with_text(vocab, eog, {"<|return|>"}) >= 0;
  const bool has_call = end_of_generation_with_text(vocab, eog, {"<|call|>", "<|calls|>"}) >= 0;
  const bool has_flush = end_of_generation_with_text(vocab, eog, {"<|flush|>"}) >= 0;
  if (end >= 0 && has_call && (has_return || has_flush)) {
    remove_end_of_generation(eog, end);
    vocab.tokens[end].attrs = kAttrUserDefined;
  }
  const TokenId end_of_sentence = end_of_generation_with_text(vocab, eog, {"</s>"});
  if (end_of_sentence >= 0 && end_of_generation_with_text(vocab, eog, {"<|tool_response>"}) >= 0) {
    remove_end_of_generation(eog, end_of_sentence);
    vocab.tokens[end_of_sentence].attrs = kAttrNormal;
  }
}

std::vector<TokenId> collect_end_of_generation(Vocabulary& vocab) {
  std::vector<TokenId> eog;
  for (TokenId id : {vocab.fim_pad, vocab.fim_rep, vocab.fim_sep}) {
    if (id >= 0) eog.push_back(id);
  }
  for (TokenId id = 0; id < vocab.size(); ++id) {
    VocabToken& token = vocab.tokens[id];
    if (is_one_of(token.text, kEndOfGenerationTexts)) {
      eog.push_back(id);
      token.attrs |= kAttrControl;
    }
    if (is_one_of(token.text, kAlwaysRenderedTexts)) token.attrs = kAttrUserDefined;
  }
  for (TokenId id : {vocab.eos, vocab.eot, vocab.eom}) {
    if (id >= 0) eog.push_back(id);
  }
  std::sort(eog.begin(), eog.end());
  eog.erase(std::unique(eog.begin(), eog.end()), eog.end());
  apply_end_of_generation_exceptions(vocab, eog);
  return eog;
}

// llama.cpp sorts by length only (std::sort, so ties fall in no defined order); ties here keep
// id order.
std::vector<TokenId> specials_longest_first(const Vocabulary& vocab) {
  std::vector<TokenId> specials;
  for (TokenId id = 0; id < vocab.size(); ++id) {
    if (vocab.has(id, kAttrControl | kAttrUserDefined | kAttrUnknown)) specials.push_back(id);
  }
  std::stable_sort(specials.begin(), specials.end(), [&](TokenId a, TokenId b) {
    return vocab.tokens[a].text.size() > vocab.tokens[b].text.size();
  });
  return specials;
}

}  // namespace

void classify_special_tokens(Vocabulary& vocab) {
  find_role_by_text(vocab, vocab.eot, kEotTexts);
  find_role_by_text(vocab, vocab.eom, kEomTexts);
  find_role_by_text(vocab, vocab.fim_pre, kFimPreTexts);
  find_role_by_text(vocab, vocab.fim_suf, kFimSufTexts);
  find_role_by_text(vocab, vocab.fim_mid, kFimMidTexts);
  find_role_by_text(vocab, vocab.fim_pad, kFimPadTexts);
  find_role_by_text(vocab, vocab.fim_rep, kFimRepTexts);
  find_role_by_text(vocab, vocab.fim_sep, kFimSepTexts);
  vocab.end_of_generation = collect_end_of_generation(vocab);
  vocab.specials_longest_first = specials_longest_first(vocab);
}

}  // namespace nt
