// One model's benchmark: load with the command line's options, print the placement, run the
// pp and tg tests, and set each figure beside its DESIGN §3 bound.
#pragma once

#include <string>

#include "bench_args.h"
#include "bench_result.h"

namespace nt::bench {

// Throws EngineError from loading or a forward pass; a failed --measure-links is recorded in
// the result (the load-time links are used) rather than thrown.
ModelResult bench_model(const std::string& path, const BenchArgs& args);

}  // namespace nt::bench
