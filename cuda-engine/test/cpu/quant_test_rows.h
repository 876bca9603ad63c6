// Random but valid weight rows for the CPU kernel tests: random quant bits, with every f16
// scale field overwritten by a finite value of a realistic size.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "gguf/ggml_type.h"

namespace nt::cpu::test {

// The 13 weight types the CPU backend computes with.
const std::vector<GgmlType>& supported_weight_types();

// Bytes of a row of n elements of `type` (n a multiple of its block size).
size_t row_bytes(GgmlType type, int64_t n);

// A row of n elements of `type`: random quants, finite scales.
std::vector<uint8_t> random_weight_row(GgmlType type, int64_t n, std::mt19937& rng);

// n activations: mostly N(0, 1), with a few outliers ten times larger, as hidden states have.
std::vector<float> random_activations(int64_t n, std::mt19937& rng);

// n_tokens rows of n random activations, one after the other.
std::vector<float> random_tokens(int64_t n, int64_t n_tokens, std::mt19937& rng);

// The per-block offset m of a Q4_1 / Q5_1 row (f16 at byte 2 of each 32-element block).
float block_offset(GgmlType type, const uint8_t* row, int64_t block);

}  // namespace nt::cpu::test
