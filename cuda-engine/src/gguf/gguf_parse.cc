// GGUF v2/v3 header parser (spec: ggml/docs/gguf.md). v2 and v3 are identical for little-endian
// files; v3 only added big-endian files, which we refuse. Nothing is allocated for a count or a
// length until the remaining bytes could hold it, and the metadata's memory is counted against
// the bytes it was read from (MetadataMemory), so memory stays proportional to the file.
#include <algorithm>
#include <numeric>
#include <unordered_set>

#include "gguf/byte_cursor.h"
#include "gguf/ggml_type.h"
#include "gguf/gguf_file.h"
#include "gguf/utf8.h"

namespace nt {

namespace {

constexpr uint32_t kMagic = 0x46554747;        // "GGUF" read as a little-endian u32
constexpr uint32_t kMaxArrayDepth = 8;         // nested arrays deeper than this are hostile
constexpr uint32_t kMaxDims = 4;               // GGML_MAX_DIMS
constexpr uint64_t kMinKeyValueBytes = 8 + 1 + 4 + 1;          // key length, 1-byte key, type, u8
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;  // name, n_dims, 1 dim, type, offset
constexpr uint64_t kMinNestedArrayBytes = 4 + 8;                 // element type + count

std::string quoted(const std::string& s) { return "'" + s + "'"; }

uint32_t byteswap32(uint32_t v) {
  return (v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24);
}

std::string read_string(ByteCursor& in, const char* what) {
  const uint64_t length = in.read<uint64_t>(what);
  const uint8_t* start = in.take(length, what);
  return std::string(reinterpret_cast<const char*>(start), length);
}

GgufType read_value_type(ByteCursor& in, const char* what) {
  const uint32_t raw = in.read<uint32_t>(what);
  if (raw > static_cast<uint32_t>(GgufType::F64)) {
    throw bad_gguf(std::string(what) + " is " + std::to_string(raw) +
                   ", which is not a GGUF value type (0..12)");
  }
  return static_cast<GgufType>(raw);
}

void check_bools(const uint8_t* bytes, uint64_t count) {
  for (uint64_t i = 0; i < count; ++i) {
    if (bytes[i] > 1) throw bad_gguf("bool value " + std::to_string(bytes[i]) + " is neither 0 nor 1");
  }
}

// Refuses `count` elements of at least `min_bytes` each when the rest of the file cannot hold
// them; this is what keeps a hostile count from reserving gigabytes.
void check_count_fits(const ByteCursor& in, uint64_t count, uint64_t min_bytes, const char* what) {
  if (count > in.remaining() / min_bytes) {
    throw bad_gguf(std::string(what) + " claims " + std::to_string(count) + " elements of at least " +
                   std::to_string(min_bytes) + " bytes, but only " + std::to_string(in.remaining()) +
                   " bytes remain");
  }
}

// What the metadata read so far holds in memory: containers' elements at their in-memory size
// once reserved, strings' heap buffers, and each entry with its copy in the duplicate-key set.
// Every charge is checked against kMetadataMemoryPerByte per byte read since the metadata began,
// so a file whose metadata would swell (empty nested arrays: 104 bytes each for 12 in the file)
// is refused before that memory is touched.
class MetadataMemory {
 public:
  explicit MetadataMemory(const ByteCursor& in) : in_(in), start_(in.offset()), counted_end_(start_) {}

  // `ahead`: bytes past the cursor that the caller has checked the file holds and that what it
  // charges now will read (the elements of an array reserved before they are read); they count
  // as read from now on.
  void charge(uint64_t bytes, uint64_t ahead = 0) {
    used_ += bytes;
    counted_end_ = std::max(counted_end_, in_.offset() + ahead);
    const uint64_t read = std::max(counted_end_, in_.offset()) - start_;
    if (used_ > kMetadataMemoryPerByte * read + kMetadataMemorySlack) {
      throw bad_gguf("the metadata would take " + std::to_string(used_) + " bytes of memory for " +
                     std::to_string(read) + " bytes of the file, more than " +
                     std::to_string(kMetadataMemoryPerByte) + " per byte (plus " +
                     std::to_string(kMetadataMemorySlack >> 20) + " MiB) that this reader allows");
    }
  }
  // A string's own buffer, which short strings do without.
  void charge_string(uint64_t length) {
    static const uint64_t inline_capacity = std::string().capacity();
    if (length > inline_capacity) charge(length + 1);
  }

  uint64_t used() const { return used_; }
  uint64_t bytes_read() const { return in_.offset() - start_; }

 private:
  const ByteCursor& in_;
  uint64_t start_;
  uint64_t counted_end_;  // the end of the bytes that count as read
  uint64_t used_ = 0;
};

GgufArray read_array(ByteCursor& in, MetadataMemory& memory, uint32_t depth);

GgufValue read_value(ByteCursor& in, MetadataMemory& memory, GgufType type, uint32_t depth) {
  GgufValue value;
  value.type = type;
  switch (type) {
    case GgufType::U8: value.data = uint64_t{in.read<uint8_t>("u8 value")}; break;
    case GgufType::I8: value.data = int64_t{in.read<int8_t>("i8 value")}; break;
    case GgufType::U16: value.data = uint64_t{in.read<uint16_t>("u16 value")}; break;
    case GgufType::I16: value.data = int64_t{in.read<int16_t>("i16 value")}; break;
    case GgufType::U32: value.data = uint64_t{in.read<uint32_t>("u32 value")}; break;
    case GgufType::I32: value.data = int64_t{in.read<int32_t>("i32 value")}; break;
    case GgufType::U64: value.data = in.read<uint64_t>("u64 value"); break;
    case GgufType::I64: value.data = in.read<int64_t>("i64 value"); break;
    case GgufType::F32: value.data = double{in.read<float>("f32 value")}; break;
    case GgufType::F64: value.data = in.read<double>("f64 value"); break;
    case GgufType::BOOL: {
      const uint8_t byte = in.read<uint8_t>("bool value");
      check_bools(&byte, 1);
      value.data = uint64_t{byte};
      break;
    }
    // String values are kept as bytes even when they are not UTF-8: llama.cpp accepts them, and
    // some vocabularies hold byte fragments that only the tokenizer interprets.
    case GgufType::STRING:
      value.data = read_string(in, "string value");
      memory.charge_string(value.as_string().size());
      break;
    case GgufType::ARRAY: value.data = read_array(in, memory, depth); break;
  }
  return value;
}

GgufArray read_array(ByteCursor& in, MetadataMemory& memory, uint32_t depth) {
  if (depth >= kMaxArrayDepth) {
    throw bad_gguf("arrays are nested more than " + std::to_string(kMaxArrayDepth) + " levels deep");
  }
  GgufArray array;
  array.item_type = read_value_type(in, "array element type");
  array.count = in.read<uint64_t>("array length");
  const uint32_t item_bytes = gguf_scalar_size(array.item_type);
  if (item_bytes > 0) {
    check_count_fits(in, array.count, item_bytes, "array");
    const uint8_t* start = in.take(array.count * item_bytes, "array elements");
    if (array.item_type == GgufType::BOOL) check_bools(start, array.count);
    memory.charge(array.count * item_bytes);
    array.raw.assign(start, start + array.count * item_bytes);
  } else if (array.item_type == GgufType::STRING) {
    check_count_fits(in, array.count, sizeof(uint64_t), "string array");
    memory.charge(array.count * sizeof(std::string), array.count * sizeof(uint64_t));
    array.strings.reserve(array.count);
    for (uint64_t i = 0; i < array.count; ++i) {
      array.strings.push_back(read_string(in, "string element"));
      memory.charge_string(array.strings.back().size());
    }
  } else {
    check_count_fits(in, array.count, kMinNestedArrayBytes, "array of arrays");
    memory.charge(array.count * sizeof(GgufValue), array.count * kMinNestedArrayBytes);
    array.arrays.reserve(array.count);
    for (uint64_t i = 0; i < array.count; ++i) array.arrays.push_back(read_value(in, memory, GgufType::ARRAY, depth + 1));
  }
  return array;
}

void read_header(ByteCursor& in, GgufFile& file, uint64_t& n_tensors, uint64_t& n_kv) {
  if (in.remaining() < 24) {
    throw bad_gguf("file is " + std::to_string(in.remaining()) +
                   " bytes, too short for a GGUF header (24 bytes)");
  }
  if (in.read<uint32_t>("magic") != kMagic) throw bad_gguf("not a GGUF file: the magic is not 'GGUF'");
  file.version = in.read<uint32_t>("version");
  const uint32_t swapped = byteswap32(file.version);
  if (swapped >= 1 && swapped <= 3) {
    throw EngineError(NT_E_UNSUPPORTED, "big-endian GGUF files are not supported");
  }
  if (file.version == 1) {
    throw EngineError(NT_E_UNSUPPORTED, "GGUF version 1 is not supported (only versions 2 and 3)");
  }
  if (file.version != 2 && file.version != 3) {
    throw bad_gguf("unknown GGUF version " + std::to_string(file.version) + " (this engine reads 2 and 3)");
  }
  n_tensors = in.read<uint64_t>("tensor count");
  n_kv = in.read<uint64_t>("metadata count");
  check_count_fits(in, n_kv, kMinKeyValueBytes, "the metadata count");
  check_count_fits(in, n_tensors, kMinTensorInfoBytes, "the tensor count");
  if (n_kv * kMinKeyValueBytes + n_tensors * kMinTensorInfoBytes > in.remaining()) {
    throw bad_gguf("the metadata and tensor counts (" + std::to_string(n_kv) + ", " +
                   std::to_string(n_tensors) + ") do not fit in the file");
  }
}

// Roughly what one key costs in the duplicate-key set besides its text: a hash node (next
// pointer, the string, the cached hash) and a bucket.
constexpr uint64_t kSeenKeyBytes = sizeof(void*) + sizeof(std::string) + sizeof(size_t) + sizeof(void*);

void read_metadata(ByteCursor& in, GgufFile& file, uint64_t n_kv) {
  std::unordered_set<std::string> seen;
  MetadataMemory memory(in);
  // The count only says how many entries there could be; the vector grows as they are read (and
  // its spare capacity is charged as it grows), so a large count of tiny entries is refused
  // before it costs memory.
  for (uint64_t i = 0; i < n_kv; ++i) {
    GgufKeyValue entry;
    try {
      entry.key = read_string(in, "metadata key");
      memory.charge(kSeenKeyBytes);
      memory.charge_string(entry.key.size());
      memory.charge_string(entry.key.size());  // the set's copy
      if (entry.key.empty()) throw bad_gguf("empty key");
      if (!is_valid_utf8(entry.key)) throw bad_gguf("key is not valid UTF-8");
      if (!seen.insert(entry.key).second) throw bad_gguf("duplicate key");
      entry.value = read_value(in, memory, read_value_type(in, "value type"), 0);
      if (file.metadata.size() == file.metadata.capacity()) {
        memory.charge(std::max<uint64_t>(file.metadata.capacity(), 1) * sizeof(GgufKeyValue));
      }
    } catch (const EngineError& e) {
      const std::string which = entry.key.empty() || !is_valid_utf8(entry.key)
                                    ? "metadata entry " + std::to_string(i)
                                    : "metadata key " + quoted(entry.key);
      throw EngineError(e.error_code(), which + ": " + e.what());
    }
    file.metadata.push_back(std::move(entry));
  }
  file.metadata_bytes = memory.bytes_read();
  file.metadata_memory = memory.used();
}

void read_alignment(GgufFile& file) {
  const GgufValue* alignment = file.find("general.alignment");
  if (!alignment) return;
  if (alignment->type != GgufType::U32) {
    throw bad_gguf(std::string("general.alignment has type ") + gguf_type_name(alignment->type) +
                   ", expected u32");
  }
  const uint64_t value = alignment->as_u64();
  if (value == 0 || (value & (value - 1)) != 0) {
    throw bad_gguf("general.alignment is " + std::to_string(value) + ", not a power of two");
  }
  file.alignment = static_cast<uint32_t>(value);
}

// Reads dims and type, and computes the byte size; every multiplication is overflow-checked.
void read_tensor_shape_and_type(ByteCursor& in, GgufTensorInfo& t) {
  t.n_dims = in.read<uint32_t>("dimension count");
  if (t.n_dims < 1 || t.n_dims > kMaxDims) {
    throw bad_gguf("has " + std::to_string(t.n_dims) + " dimensions (1 to 4 allowed)");
  }
  uint64_t elements = 1;
  for (uint32_t d = 0; d < t.n_dims; ++d) {
    t.ne[d] = in.read<uint64_t>("dimension");
    if (t.ne[d] == 0) throw bad_gguf("dimension " + std::to_string(d) + " is 0");
    if (t.ne[d] > static_cast<uint64_t>(INT64_MAX) / elements) throw bad_gguf("element count overflows");
    elements *= t.ne[d];
  }
  t.type = in.read<uint32_t>("tensor type");
  const auto layout = ggml_block_layout(t.type);
  if (!layout) {
    throw EngineError(NT_E_UNSUPPORTED, "has type " + ggml_type_name(t.type) +
                                            ", which this engine does not support");
  }
  if (t.ne[0] % layout->block_elements != 0) {
    throw bad_gguf("row length " + std::to_string(t.ne[0]) + " is not a multiple of the " +
                   ggml_type_name(t.type) + " block size " + std::to_string(layout->block_elements));
  }
  const uint64_t blocks = elements / layout->block_elements;
  if (blocks > UINT64_MAX / layout->block_bytes) throw bad_gguf("byte size overflows");
  t.bytes = blocks * layout->block_bytes;
}

void read_tensor_infos(ByteCursor& in, GgufFile& file, uint64_t n_tensors) {
  std::unordered_set<std::string> seen;
  file.tensors.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo t;
    try {
      t.name = read_string(in, "tensor name");
      if (t.name.empty()) throw bad_gguf("empty name");
      if (!is_valid_utf8(t.name)) throw bad_gguf("name is not valid UTF-8");
      if (!seen.insert(t.name).second) throw bad_gguf("duplicate name");
      read_tensor_shape_and_type(in, t);
      t.offset = in.read<uint64_t>("tensor offset");
      if (t.offset % file.alignment != 0) {
        throw bad_gguf("offset " + std::to_string(t.offset) + " is not a multiple of the alignment " +
                       std::to_string(file.alignment));
      }
    } catch (const EngineError& e) {
      const std::string which = t.name.empty() || !is_valid_utf8(t.name)
                                    ? "tensor entry " + std::to_string(i)
                                    : "tensor " + quoted(t.name);
      throw EngineError(e.error_code(), which + " " + e.what());
    }
    file.tensors.push_back(std::move(t));
  }
}

// Every tensor must lie inside the file, and no two may share bytes.
void check_tensor_extents(const GgufFile& file) {
  if (file.tensors.empty()) return;  // vocabulary-only files may end before the padding
  if (file.data_offset > file.file_bytes) {
    throw bad_gguf("the data section would start at offset " + std::to_string(file.data_offset) +
                   ", past the end of the file (" + std::to_string(file.file_bytes) + " bytes)");
  }
  const uint64_t data_bytes = file.file_bytes - file.data_offset;
  for (const auto& t : file.tensors) {
    if (t.offset > data_bytes || t.bytes > data_bytes - t.offset) {
      throw bad_gguf("tensor " + quoted(t.name) + " (" + std::to_string(t.bytes) + " bytes at data offset " +
                     std::to_string(t.offset) + ") runs past the end of the file");
    }
  }
  std::vector<size_t> order(file.tensors.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return file.tensors[a].offset < file.tensors[b].offset; });
  for (size_t k = 1; k < order.size(); ++k) {
    const auto& prev = file.tensors[order[k - 1]];
    const auto& next = file.tensors[order[k]];
    if (prev.offset + prev.bytes > next.offset) {
      throw bad_gguf("tensors " + quoted(prev.name) + " and " + quoted(next.name) + " overlap");
    }
  }
}

}  // namespace

GgufFile parse_gguf(const uint8_t* bytes, uint64_t size) { return parse_gguf_prefix(bytes, size, size); }

GgufFile parse_gguf_prefix(const uint8_t* bytes, uint64_t available, uint64_t size) {
  ByteCursor in(bytes, available, size);
  GgufFile file;
  file.file_bytes = size;
  uint64_t n_tensors = 0, n_kv = 0;
  read_header(in, file, n_tensors, n_kv);
  read_metadata(in, file, n_kv);
  read_alignment(file);
  read_tensor_infos(in, file, n_tensors);
  file.data_offset = (in.offset() + file.alignment - 1) / file.alignment * file.alignment;
  check_tensor_extents(file);
  return file;
}

const GgufValue* GgufFile::find(std::string_view key) const {
  for (const auto& entry : metadata) {
    if (entry.key == key) return &entry.value;
  }
  return nullptr;
}

}  // namespace nt
