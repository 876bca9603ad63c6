#include <cmath>

#include "gguf/ggml_type.h"
#include "napi/js_values.h"

namespace nt {

namespace {

// JS numbers hold integers exactly up to 2^53; larger 64-bit values become BigInt.
constexpr uint64_t kMaxSafeInteger = (uint64_t{1} << 53) - 1;

Napi::Value unsigned_to_js(Napi::Env env, uint64_t v) {
  if (v <= kMaxSafeInteger) return Napi::Number::New(env, static_cast<double>(v));
  return Napi::BigInt::New(env, v);
}

Napi::Value signed_to_js(Napi::Env env, int64_t v) {
  if (v <= static_cast<int64_t>(kMaxSafeInteger) && v >= -static_cast<int64_t>(kMaxSafeInteger)) {
    return Napi::Number::New(env, static_cast<double>(v));
  }
  return Napi::BigInt::New(env, v);
}

Napi::Value array_element_to_js(Napi::Env env, const GgufArray& array, uint64_t i) {
  switch (array.item_type) {
    case GgufType::U8: return Napi::Number::New(env, array.at<uint8_t>(i));
    case GgufType::I8: return Napi::Number::New(env, array.at<int8_t>(i));
    case GgufType::U16: return Napi::Number::New(env, array.at<uint16_t>(i));
    case GgufType::I16: return Napi::Number::New(env, array.at<int16_t>(i));
    case GgufType::U32: return Napi::Number::New(env, array.at<uint32_t>(i));
    case GgufType::I32: return Napi::Number::New(env, array.at<int32_t>(i));
    case GgufType::U64: return unsigned_to_js(env, array.at<uint64_t>(i));
    case GgufType::I64: return signed_to_js(env, array.at<int64_t>(i));
    case GgufType::F32: return Napi::Number::New(env, array.at<float>(i));
    case GgufType::F64: return Napi::Number::New(env, array.at<double>(i));
    case GgufType::BOOL: return Napi::Boolean::New(env, array.at<uint8_t>(i) != 0);
    case GgufType::STRING: return Napi::String::New(env, array.strings[i]);
    case GgufType::ARRAY: break;
  }
  return env.Undefined();
}

Napi::Value value_to_js(Napi::Env env, const GgufValue& value);

Napi::Value array_to_js(Napi::Env env, const GgufArray& array) {
  Napi::Array out = Napi::Array::New(env, array.count);
  for (uint64_t i = 0; i < array.count; ++i) {
    out.Set(static_cast<uint32_t>(i), array.item_type == GgufType::ARRAY ? value_to_js(env, array.arrays[i])
                                                                      : array_element_to_js(env, array, i));
  }
  return out;
}

Napi::Value value_to_js(Napi::Env env, const GgufValue& value) {
  switch (value.type) {
    case GgufType::BOOL: return Napi::Boolean::New(env, value.as_u64() != 0);
    case GgufType::U8: case GgufType::U16: case GgufType::U32: case GgufType::U64:
      return unsigned_to_js(env, value.as_u64());
    case GgufType::I8: case GgufType::I16: case GgufType::I32: case GgufType::I64:
      return signed_to_js(env, value.as_i64());
    case GgufType::F32: case GgufType::F64: return Napi::Number::New(env, value.as_f64());
    // V8 replaces ill-formed UTF-8 with U+FFFD; the engine itself keeps the raw bytes.
    case GgufType::STRING: return Napi::String::New(env, value.as_string());
    case GgufType::ARRAY: return array_to_js(env, value.as_array());
  }
  return env.Undefined();
}

Napi::Object metadata_entry_to_js(Napi::Env env, const GgufKeyValue& entry) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("key", entry.key);
  out.Set("type", gguf_type_name(entry.value.type));
  if (entry.value.is_array()) out.Set("itemType", gguf_type_name(entry.value.as_array().item_type));
  out.Set("value", value_to_js(env, entry.value));
  return out;
}

Napi::Object tensor_to_js(Napi::Env env, const GgufFile& file, const GgufTensorInfo& t) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("name", t.name);
  out.Set("type", ggml_type_name(t.type));
  Napi::Array shape = Napi::Array::New(env, t.n_dims);
  for (uint32_t d = 0; d < t.n_dims; ++d) shape.Set(d, unsigned_to_js(env, t.ne[d]));
  out.Set("shape", shape);
  out.Set("offset", unsigned_to_js(env, file.data_offset + t.offset));
  out.Set("bytes", unsigned_to_js(env, t.bytes));
  return out;
}

}  // namespace

Napi::Object gguf_to_js(Napi::Env env, const GgufFile& file) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("version", file.version);
  out.Set("alignment", file.alignment);
  out.Set("dataOffset", unsigned_to_js(env, file.data_offset));
  out.Set("fileBytes", unsigned_to_js(env, file.file_bytes));
  Napi::Array metadata = Napi::Array::New(env, file.metadata.size());
  for (size_t i = 0; i < file.metadata.size(); ++i) metadata.Set(i, metadata_entry_to_js(env, file.metadata[i]));
  out.Set("metadata", metadata);
  Napi::Array tensors = Napi::Array::New(env, file.tensors.size());
  for (size_t i = 0; i < file.tensors.size(); ++i) tensors.Set(i, tensor_to_js(env, file, file.tensors[i]));
  out.Set("tensors", tensors);
  return out;
}

}  // namespace nt
