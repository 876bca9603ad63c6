#include "tokenizer/vocabulary.h"

#include <limits>

#include "core/engine_error.h"
#include "tokenizer/metadata.h"

namespace nt {

namespace {

uint32_t attrs_of_token_type(int32_t type) {
  switch (type) {
    case 1: return kAttrNormal;
    case 2: return kAttrUnknown;
    case 3: return kAttrControl;
    case 4: return kAttrUserDefined;
    case 5: return kAttrUnused;
    case 6: return kAttrByte;
    default: return kAttrUndefined;
  }
}

const GgufArray& token_texts(const GgufFile& file) {
  const GgufArray* texts = metadata_array(file, "tokenizer.ggml.tokens", GgufType::STRING);
  if (!texts) throw bad_gguf("the file has no tokenizer.ggml.tokens");
  if (texts->strings.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    throw bad_gguf("tokenizer.ggml.tokens has more tokens than an int32 id can count");
  }
  return *texts;
}

// Scores are f32, or i32 in some converted vocabularies; llama.cpp accepts both.
std::vector<float> token_scores(const GgufFile& file, size_t n_tokens) {
  std::vector<float> scores(n_tokens, 0.0f);
  const GgufValue* value = file.find("tokenizer.ggml.scores");
  if (!value) return scores;
  const GgufArray* array = value->is_array() ? &value->as_array() : nullptr;
  if (!array || (array->item_type != GgufType::F32 && array->item_type != GgufType::I32)) {
    throw bad_gguf("tokenizer.ggml.scores should be an array of f32 or i32");
  }
  if (array->count < n_tokens) throw bad_gguf("tokenizer.ggml.scores has fewer entries than tokenizer.ggml.tokens");
  for (size_t i = 0; i < n_tokens; ++i) {
    scores[i] = array->item_type == GgufType::F32 ? array->at<float>(i) : static_cast<float>(array->at<int32_t>(i));
  }
  return scores;
}

// Without tokenizer.ggml.token_type every token is normal, as in llama.cpp.
std::vector<uint32_t> token_attrs(const GgufFile& file, size_t n_tokens) {
  std::vector<uint32_t> attrs(n_tokens, kAttrNormal);
  const GgufArray* types = metadata_array(file, "tokenizer.ggml.token_type", GgufType::I32);
  if (!types) return attrs;
  if (types->count < n_tokens) throw bad_gguf("tokenizer.ggml.token_type has fewer entries than tokenizer.ggml.tokens");
  for (size_t i = 0; i < n_tokens; ++i) attrs[i] = attrs_of_token_type(types->at<int32_t>(i));
  return attrs;
}

void read_tokens(const GgufFile& file, Vocabulary& vocab) {
  const GgufArray& texts = token_texts(file);
  const size_t n = texts.strings.size();
  const std::vector<float> scores = token_scores(file, n);
  const std::vector<uint32_t> attrs = token_attrs(file, n);
  vocab.tokens.resize(n);
  vocab.ids.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const auto id = static_cast<TokenId>(i);
    VocabToken& token = vocab.tokens[i];
    // llama.cpp renames empty tokens so that every text is a distinct key.
    token.text = texts.strings[i].empty() ? "[EMPTY_" + std::to_string(i) + "]" : texts.strings[i];
    token.score = scores[i];
    token.attrs = attrs[i];
    const auto inserted = vocab.ids.emplace(token.text, id);
    if (!inserted.second) {
      throw bad_gguf("tokenizer.ggml.tokens holds '" + token.text + "' twice (ids " +
                     std::to_string(inserted.first->second) + " and " + std::to_string(i) + ")");
    }
  }
}

// A key's id replaces the current one when it names a token; an id outside the vocabulary
// (0xFFFFFFFF included) leaves the default in place, as llama.cpp does after a warning.
void read_token_id(const GgufFile& file, const char* key, const Vocabulary& vocab, TokenId& id) {
  const std::optional<int64_t> value = metadata_integer(file, key);
  if (value && *value >= 0 && *value < vocab.size()) id = static_cast<TokenId>(*value);
}

// In llama.cpp's order: the deprecated prefix/suffix/middle keys come last and win.
void read_special_ids(const GgufFile& file, Vocabulary& vocab) {
  const struct {
    const char* key;
    TokenId Vocabulary::*id;
  } keys[] = {
      {"tokenizer.ggml.bos_token_id", &Vocabulary::bos},
      {"tokenizer.ggml.eos_token_id", &Vocabulary::eos},
      {"tokenizer.ggml.eot_token_id", &Vocabulary::eot},
      {"tokenizer.ggml.eom_token_id", &Vocabulary::eom},
      {"tokenizer.ggml.unknown_token_id", &Vocabulary::unk},
      {"tokenizer.ggml.fim_pre_token_id", &Vocabulary::fim_pre},
      {"tokenizer.ggml.fim_suf_token_id", &Vocabulary::fim_suf},
      {"tokenizer.ggml.fim_mid_token_id", &Vocabulary::fim_mid},
      {"tokenizer.ggml.fim_pad_token_id", &Vocabulary::fim_pad},
      {"tokenizer.ggml.fim_rep_token_id", &Vocabulary::fim_rep},
      {"tokenizer.ggml.fim_sep_token_id", &Vocabulary::fim_sep},
      {"tokenizer.ggml.prefix_token_id", &Vocabulary::fim_pre},
      {"tokenizer.ggml.suffix_token_id", &Vocabulary::fim_suf},
      {"tokenizer.ggml.middle_token_id", &Vocabulary::fim_mid},
  };
  for (const auto& k : keys) read_token_id(file, k.key, vocab, vocab.*(k.id));
}

TokenId default_if_in_vocabulary(TokenId id, const Vocabulary& vocab) { return vocab.contains(id) ? id : -1; }

}  // namespace

Vocabulary read_vocabulary(const GgufFile& file, const VocabularyDefaults& defaults) {
  Vocabulary vocab;
  read_tokens(file, vocab);
  vocab.bos = default_if_in_vocabulary(defaults.bos, vocab);
  vocab.eos = default_if_in_vocabulary(defaults.eos, vocab);
  vocab.unk = default_if_in_vocabulary(defaults.unk, vocab);
  read_special_ids(file, vocab);

  vocab.add_space_prefix = metadata_bool(file, "tokenizer.ggml.add_space_prefix").value_or(defaults.add_space_prefix);
  vocab.add_bos = metadata_bool(file, "tokenizer.ggml.add_bos_token").value_or(defaults.add_bos);
  vocab.add_eos = metadata_bool(file, "tokenizer.ggml.add_eos_token").value_or(defaults.add_eos);
  if (vocab.add_bos && vocab.bos < 0) {
    throw bad_gguf("tokenizer.ggml.add_bos_token is true, but tokenizer.ggml.bos_token_id is not set");
  }
  if (vocab.add_eos && vocab.eos < 0) {
    throw bad_gguf("tokenizer.ggml.add_eos_token is true, but tokenizer.ggml.eos_token_id is not set");
  }
  classify_special_tokens(vocab);
  return vocab;
}

}  // namespace nt
