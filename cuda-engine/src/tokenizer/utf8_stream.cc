// Utf8Stream (declared in tokenizer.h). Well-formedness follows the Unicode Standard's table 3-7;
// an ill-formed sequence becomes one U+FFFD per maximal subpart (Unicode ch. 3, "U+FFFD
// Substitution of Maximal Subparts"), as browsers and Python's decoder do.
#include <cstdint>

#include "tokenizer/tokenizer.h"

namespace nt {

namespace {

const char kReplacementUtf8[] = "\xEF\xBF\xBD";

enum class SequenceKind { kComplete, kIllFormed, kTruncated };

struct Sequence {
  SequenceKind kind;
  size_t length;  // bytes: the character, the maximal subpart, or what is there so far
};

// The allowed range of the second byte after a lead byte, and the sequence length; 0 for a byte
// that cannot lead.
size_t expected_length(uint8_t lead, uint8_t& lo, uint8_t& hi) {
  lo = 0x80;
  hi = 0xBF;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead == 0xE0) { lo = 0xA0; return 3; }
  if (lead == 0xED) { hi = 0x9F; return 3; }
  if (lead >= 0xE1 && lead <= 0xEF) return 3;
  if (lead == 0xF0) { lo = 0x90; return 4; }
  if (lead == 0xF4) { hi = 0x8F; return 4; }
  if (lead >= 0xF1 && lead <= 0xF3) return 4;
  return 0;
}

Sequence sequence_at(const std::string& bytes, size_t i) {
  uint8_t lo, hi;
  const size_t length = expected_length(static_cast<uint8_t>(bytes[i]), lo, hi);
  if (length == 0) return {SequenceKind::kIllFormed, 1};
  for (size_t k = 1; k < length; ++k) {
    if (i + k == bytes.size()) return {SequenceKind::kTruncated, k};
    const auto b = static_cast<uint8_t>(bytes[i + k]);
    const bool ok = k == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
    if (!ok) return {SequenceKind::kIllFormed, k};
  }
  return {SequenceKind::kComplete, length};
}

// Moves the decodable part of `pending` to the result; a truncated sequence at the end stays
// pending unless `final`, when it is ill-formed too.
std::string drain(std::string& pending, bool final) {
  std::string out;
  size_t i = 0;
  while (i < pending.size()) {
    const Sequence seq = sequence_at(pending, i);
    if (seq.kind == SequenceKind::kTruncated && !final) break;
    if (seq.kind == SequenceKind::kComplete) {
      out.append(pending, i, seq.length);
    } else {
      out += kReplacementUtf8;
    }
    i += seq.length;
  }
  pending.erase(0, i);
  return out;
}

}  // namespace

std::string Utf8Stream::push(std::string_view piece) {
  pending_.append(piece);
  return drain(pending_, /*final=*/false);
}

std::string Utf8Stream::flush() { return drain(pending_, /*final=*/true); }

}  // namespace nt
