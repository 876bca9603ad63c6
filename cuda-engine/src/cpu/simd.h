// Which instruction set the CPU kernels use, chosen once per process: AVX2 (with FMA and F16C)
// when the CPU has it, scalar otherwise. NT_CPU_SIMD=scalar forces the scalar kernels (tests and
// bug hunts compare the two); NT_CPU_SIMD=avx2 insists on AVX2 and fails where it is missing.
#pragma once

#if defined(__x86_64__)
#define NT_X86 1
// AVX2 kernels are compiled per function, so the library still loads and runs on CPUs without it.
#define NT_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))
#else
#define NT_X86 0
#endif

namespace nt::cpu {

enum class SimdLevel { kScalar, kAvx2 };

// AVX2, FMA and F16C are all present (every AVX2 CPU shipped so far has the other two).
bool cpu_has_avx2();

// The level the kernels run at: NT_CPU_SIMD if set ("scalar", "avx2", "auto"), else the best
// the CPU has. Throws EngineError NT_E_UNSUPPORTED for an unknown value or "avx2" without AVX2.
SimdLevel simd_level();

const char* simd_level_name(SimdLevel level);

}  // namespace nt::cpu
