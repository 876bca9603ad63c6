#include "tokenizer/test_vocab.h"

#include <cstring>

#include "tokenizer/byte_level.h"
#include "tokenizer/code_points.h"

namespace nt::test {

namespace {

GgufValue string_value(const std::string& s) {
  GgufValue v;
  v.type = GgufType::STRING;
  v.data = s;
  return v;
}

GgufValue string_array(const std::vector<std::string>& items) {
  GgufArray array;
  array.item_type = GgufType::STRING;
  array.count = items.size();
  array.strings = items;
  GgufValue v;
  v.type = GgufType::ARRAY;
  v.data = array;
  return v;
}

template <typename T>
GgufValue numeric_array(GgufType item_type, const std::vector<T>& items) {
  GgufArray array;
  array.item_type = item_type;
  array.count = items.size();
  array.raw.resize(items.size() * sizeof(T));
  if (!items.empty()) std::memcpy(array.raw.data(), items.data(), array.raw.size());
  GgufValue v;
  v.type = GgufType::ARRAY;
  v.data = array;
  return v;
}

}  // namespace

GgufFile read_test_gguf(const std::string& relative_path) { return read_gguf_file(test_data_dir() + "/" + relative_path); }

VocabBuilder::VocabBuilder(const std::string& model, const std::string& pre) {
  string("tokenizer.ggml.model", model);
  if (!pre.empty()) string("tokenizer.ggml.pre", pre);
}

VocabBuilder& VocabBuilder::token(const std::string& text, int32_t type, float score) {
  texts_.push_back(text);
  types_.push_back(type);
  scores_.push_back(score);
  return *this;
}

VocabBuilder& VocabBuilder::merge(const std::string& left_space_right) {
  merges_.push_back(left_space_right);
  return *this;
}

VocabBuilder& VocabBuilder::u32(const std::string& key, uint32_t value) {
  GgufValue v;
  v.type = GgufType::U32;
  v.data = uint64_t{value};
  file_.metadata.push_back({key, v});
  return *this;
}

VocabBuilder& VocabBuilder::boolean(const std::string& key, bool value) {
  GgufValue v;
  v.type = GgufType::BOOL;
  v.data = uint64_t{value ? 1u : 0u};
  file_.metadata.push_back({key, v});
  return *this;
}

VocabBuilder& VocabBuilder::string(const std::string& key, const std::string& value) {
  file_.metadata.push_back({key, string_value(value)});
  return *this;
}

GgufFile VocabBuilder::build() const {
  GgufFile file = file_;
  file.version = 3;
  file.metadata.push_back({"tokenizer.ggml.tokens", string_array(texts_)});
  file.metadata.push_back({"tokenizer.ggml.scores", numeric_array(GgufType::F32, scores_)});
  file.metadata.push_back({"tokenizer.ggml.token_type", numeric_array(GgufType::I32, types_)});
  if (!merges_.empty()) file.metadata.push_back({"tokenizer.ggml.merges", string_array(merges_)});
  return file;
}

VocabBuilder& add_byte_level_alphabet(VocabBuilder& vocab) {
  for (int byte = 0; byte < 256; ++byte) {
    std::string text;
    append_utf8(text, byte_level_code_point(static_cast<uint8_t>(byte)));
    vocab.token(text);
  }
  return vocab;
}

}  // namespace nt::test
