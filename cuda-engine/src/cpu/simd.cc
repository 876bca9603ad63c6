#include "cpu/simd.h"

#if NT_X86
#include <cpuid.h>
#endif

#include <cstdlib>
#include <string>

#include "core/engine_error.h"

namespace nt::cpu {

namespace {

#if NT_X86
// CPUID leaf 1: FMA (ECX bit 12), AVX (28), F16C (29), OSXSAVE (27); leaf 7: AVX2 (EBX bit 5).
// The OS must also save the YMM registers on context switches: XCR0 bits 1 (SSE) and 2 (AVX).
bool detect_avx2() {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  const unsigned needed = (1u << 12) | (1u << 27) | (1u << 28) | (1u << 29);
  if ((ecx & needed) != needed) return false;
  unsigned xcr0_low, xcr0_high;
  __asm__("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
  if ((xcr0_low & 6) != 6) return false;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  return (ebx & (1u << 5)) != 0;
}

// Leaf 7: AVX512F (EBX bit 16), AVX512BW (30), AVX512VL (31), AVX512_VNNI (ECX bit 11); XCR0
// bits 5-7 (opmask, upper halves of ZMM0-15, ZMM16-31) beside SSE and AVX.
bool detect_avx512() {
  if (!detect_avx2()) return false;
  unsigned xcr0_low, xcr0_high;
  __asm__("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
  if ((xcr0_low & 0xE6) != 0xE6) return false;
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  const unsigned needed_ebx = (1u << 16) | (1u << 30) | (1u << 31);
  return (ebx & needed_ebx) == needed_ebx && (ecx & (1u << 11)) != 0;
}
#endif

}  // namespace

bool cpu_has_avx2() {
#if NT_X86
  static const bool has = detect_avx2();
  return has;
#else
  return false;
#endif
}

bool cpu_has_avx512() {
#if NT_X86
  static const bool has = detect_avx512();
  return has;
#else
  return false;
#endif
}

namespace {

SimdLevel level_from_environment() {
  const char* value = std::getenv("NT_CPU_SIMD");
  const std::string wanted = value ? value : "";
  if (wanted.empty() || wanted == "auto") {
    if (cpu_has_avx512()) return SimdLevel::kAvx512;
    return cpu_has_avx2() ? SimdLevel::kAvx2 : SimdLevel::kScalar;
  }
  if (wanted == "avx512") {
    if (!cpu_has_avx512()) {
      throw EngineError(NT_E_UNSUPPORTED,
                        "NT_CPU_SIMD=avx512, but this CPU lacks AVX-512 F, BW, VL or VNNI (or AVX2)");
    }
    return SimdLevel::kAvx512;
  }
  if (wanted == "scalar") return SimdLevel::kScalar;
  if (wanted == "avx2") {
    if (!cpu_has_avx2()) {
      throw EngineError(NT_E_UNSUPPORTED,
                        "NT_CPU_SIMD=avx2, but this CPU lacks AVX2, FMA or F16C");
    }
    return SimdLevel::kAvx2;
  }
  throw EngineError(NT_E_UNSUPPORTED,
                    "NT_CPU_SIMD=" + wanted + " is not one of scalar, avx2, avx512, auto");
}

}  // namespace

SimdLevel simd_level() {
  // A throwing initializer leaves the static uninitialized, so a bad value fails every call.
  static const SimdLevel level = level_from_environment();
  return level;
}

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::kAvx512: return "avx512";
    case SimdLevel::kAvx2: return "avx2";
    default: return "scalar";
  }
}

}  // namespace nt::cpu
