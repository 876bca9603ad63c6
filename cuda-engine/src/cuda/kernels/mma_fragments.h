// Which elements each lane of a warp holds in the mma.sync shapes the tensor-core GEMMs use
// (cuda/kernels/mma_gemm.cuh: 8-bit integers; mma_float_gemm.cuh: f16 / bf16), shared with the CPU
// test that checks them (test/cuda_host/mma_fragments_test.cc). Two views:
//  - the PTX ISA's own maps ("Matrix Fragments for mma.m16n8k32" and "... mma.m16n8k16 with
//    integer type", .s8): element i of a lane's fragment is at (row, col), with
//    g = lane / 4 (groupID) and t = lane % 4 (threadID_in_group); element i is byte i % 4 of
//    register i / 4;
//  - the kernel's: which 32-bit word of a shared-memory tile row each register is loaded from.
//    Tiles store 32 reduction values (one activation block) as 8 consecutive words per row, for
//    the weights (A, one row per output row) and the activations (B, one row per token).
#pragma once

#include "cuda/quant/mma_host_device.h"

namespace nt::cuda::mma {

// --- The PTX ISA's maps -------------------------------------------------------------------
// m16n8k32, A (16 x 32, row-major), i = 0..15.
NT_HD int ptx_k32_a_row(int lane, int i) { return (i < 4 || (i >= 8 && i < 12)) ? lane / 4 : lane / 4 + 8; }
NT_HD int ptx_k32_a_col(int lane, int i) { return (lane % 4) * 4 + (i & 3) + (i >= 8 ? 16 : 0); }
// m16n8k32, B (32 x 8, column-major), i = 0..7: row is the reduction index k, col the token.
NT_HD int ptx_k32_b_row(int lane, int i) { return (lane % 4) * 4 + (i & 3) + (i >= 4 ? 16 : 0); }
NT_HD int ptx_k32_b_col(int lane, int) { return lane / 4; }
// m16n8k16, A (16 x 16), i = 0..7; B (16 x 8), i = 0..3.
NT_HD int ptx_k16_a_row(int lane, int i) { return i < 4 ? lane / 4 : lane / 4 + 8; }
NT_HD int ptx_k16_a_col(int lane, int i) { return (lane % 4) * 4 + (i & 3); }
NT_HD int ptx_k16_b_row(int lane, int i) { return (lane % 4) * 4 + i; }
NT_HD int ptx_k16_b_col(int lane, int) { return lane / 4; }
// m16n8k16 with .f16 / .bf16 multiplicands ("Matrix Fragments for mma.m16n8k16 with floating point
// type"): element i of A (i = 0..7) and B (i = 0..3) is half i % 2 of register i / 2.
NT_HD int ptx_f16_a_row(int lane, int i) { return (i < 2 || (i >= 4 && i < 6)) ? lane / 4 : lane / 4 + 8; }
NT_HD int ptx_f16_a_col(int lane, int i) { return (lane % 4) * 2 + (i & 1) + (i >= 4 ? 8 : 0); }
NT_HD int ptx_f16_b_row(int lane, int i) { return (lane % 4) * 2 + (i & 1) + (i >= 2 ? 8 : 0); }
NT_HD int ptx_f16_b_col(int lane, int) { return lane / 4; }
// C and D (16 x 8, .s32 or .f32) of all these shapes, i = 0..3.
NT_HD int ptx_c_row(int lane, int i) { return i < 2 ? lane / 4 : lane / 4 + 8; }
NT_HD int ptx_c_col(int lane, int i) { return (lane % 4) * 2 + (i & 1); }

// --- The kernel's loads ---------------------------------------------------------------------
// m16n8k32: A register r (0..3) is word kernel_k32_a_word(lane, r) of tile row base + kernel_a_row(lane, r).
NT_HD int kernel_a_row(int lane, int r) { return lane / 4 + 8 * (r & 1); }
NT_HD int kernel_k32_a_word(int lane, int r) { return lane % 4 + 4 * (r >> 1); }
// m16n8k32: B register r (0..1) is word kernel_k32_b_word(lane, r) of token row base + kernel_b_token(lane).
NT_HD int kernel_b_token(int lane) { return lane / 4; }
NT_HD int kernel_k32_b_word(int lane, int r) { return lane % 4 + 4 * r; }
// m16n8k16 on half h (reduction values 16h .. 16h + 15 of the 32): A register r (0..1) is word
// kernel_k16_word(lane, h) of row base + kernel_a_row(lane, r); the one B register is that word of
// token row base + kernel_b_token(lane).
NT_HD int kernel_k16_word(int lane, int h) { return lane % 4 + 4 * h; }
// The f16 / bf16 m16n8k16 takes the same words: 16 values of 16 bits are 8 words, so A register r
// (0..3) is word kernel_k32_a_word(lane, r) of row base + kernel_a_row(lane, r), B register r (0..1)
// word kernel_k32_b_word(lane, r) of token row base + kernel_b_token(lane) (mma_float_gemm.cuh).
// The same registers loaded by ldmatrix (.m8n8.x4.b16, sm_75 and later), one instruction for four:
// matrix m (0..3) is 8 rows of 4 words, lane L gives the address of row L % 8 of matrix L / 8,
// and register m of lane l receives word l % 4 of row l / 4 of matrix m (the PTX ISA's "Warp-level
// matrix load instruction: ldmatrix"). For A (16 rows of a 32-value slice) matrix m is rows
// 8 (m & 1) .. at word 4 (m >> 1), so register m is the kernel's register m of both shapes above;
// lane L points at row base + ldmatrix_a_row(L), word ldmatrix_a_word(L).
NT_HD int ldmatrix_a_row(int lane) { return lane % 8 + 8 * ((lane / 8) & 1); }
NT_HD int ldmatrix_a_word(int lane) { return 4 * (lane / 16); }
// For B of two 8-token tiles matrix m is tokens 8 (m >> 1) .. at word 4 (m & 1): registers 0, 1
// are the first tile's B registers, 2, 3 the second's; lane L points at token base +
// ldmatrix_b_token(L), word ldmatrix_b_word(L).
NT_HD int ldmatrix_b_token(int lane) { return lane % 8 + 8 * (lane / 16); }
NT_HD int ldmatrix_b_word(int lane) { return 4 * ((lane / 8) & 1); }
// Accumulator i (0..3): output row base + kernel_c_row(lane, i), token base + kernel_c_token(lane, i).
NT_HD int kernel_c_row(int lane, int i) { return lane / 4 + 8 * (i >> 1); }
NT_HD int kernel_c_token(int lane, int i) { return 2 * (lane % 4) + (i & 1); }

}  // namespace nt::cuda::mma
