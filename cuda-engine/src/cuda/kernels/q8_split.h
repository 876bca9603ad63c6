// How the 8-bit decode kernel (q8_matvec.cuh) splits a product's reduction across CTAs, shared
// with its CPU reference (the split changes the order of the float additions, so the reference
// must split the same way to match bit for bit).
#pragma once

#include <cstdint>

#include "cuda/quant/mma_host_device.h"

namespace nt::cuda::mma {

constexpr int kMatvecRowsPerCta = 4;   // one warp per row
constexpr int kMatvecCtasPerSm = 8;    // CTAs per SM the split aims to give the grid (two waves' worth of warps)
constexpr int kMatvecMaxSplits = 16;

// Splits for a rows x n product on `sms` multiprocessors: 1 when the rows alone give every SM
// kMatvecCtasPerSm CTAs; otherwise as many as bring the grid there, at most kMatvecMaxSplits and
// no more than leave each split 32 slices of 32 values (one per lane).
NT_HD int matvec_splits(int64_t rows, int64_t n, int sms) {
  const int64_t ctas = (rows + kMatvecRowsPerCta - 1) / kMatvecRowsPerCta;
  const int64_t wanted = int64_t{sms} * kMatvecCtasPerSm;
  if (ctas >= wanted) return 1;
  int64_t splits = (wanted + ctas - 1) / ctas;
  const int64_t by_length = (n / 32) / 32;
  if (splits > by_length) splits = by_length;
  if (splits > kMatvecMaxSplits) splits = kMatvecMaxSplits;
  return splits < 1 ? 1 : static_cast<int>(splits);
}

// The 32-value slices split s of `splits` covers: [begin, end), consecutive, in order.
NT_HD void split_range(int64_t slices, int splits, int s, int64_t& begin, int64_t& end) {
  const int64_t per = (slices + splits - 1) / splits;
  begin = per * s < slices ? per * s : slices;
  end = begin + per < slices ? begin + per : slices;
}

}  // namespace nt::cuda::mma
