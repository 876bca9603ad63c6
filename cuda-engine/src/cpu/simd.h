// Which instruction set the CPU kernels use, chosen once per process: AVX-512 (F, BW, VL and
// VNNI, beside AVX2) when the CPU has it, else AVX2 (with FMA and F16C), else scalar.
// NT_CPU_SIMD=scalar forces the scalar kernels (tests and bug hunts compare them);
// NT_CPU_SIMD=avx2 or avx512 insists on that level and fails where the CPU lacks it. The avx512
// level is the avx2 level, bit for bit, with some batch kernels in 512-bit registers.
#pragma once

#if defined(__x86_64__)
#define NT_X86 1
// AVX2 kernels are compiled per function, so the library still loads and runs on CPUs without it.
#define NT_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))
#define NT_TARGET_AVX512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))
#else
#define NT_X86 0
#endif

namespace nt::cpu {

enum class SimdLevel { kScalar, kAvx2, kAvx512 };

// AVX2, FMA and F16C are all present (every AVX2 CPU shipped so far has the other two).
bool cpu_has_avx2();

// AVX2 and AVX-512 F, BW, VL and VNNI, with the OS saving the ZMM and mask registers.
bool cpu_has_avx512();

// The level the kernels run at: NT_CPU_SIMD if set ("scalar", "avx2", "avx512", "auto"), else
// the best the CPU has. Throws EngineError NT_E_UNSUPPORTED for an unknown value or a level the
// CPU lacks.
SimdLevel simd_level();

const char* simd_level_name(SimdLevel level);

}  // namespace nt::cpu
