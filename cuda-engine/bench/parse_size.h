// Byte sizes as people type them on the command line: "24GiB", "512 MiB", "1.5GB", "1048576".
// The same forms as protocol/parseByteSize.ts, so ntd's --vram-budget and nt-bench's agree.
#pragma once

#include <cstdint>
#include <string>

namespace nt::bench {

// Units, any case: B; KiB MiB GiB TiB (x1024); KB MB GB TB (x1000). A fraction is allowed with a
// unit ("1.5GiB") and rounded down, since a budget must not be exceeded; plain bytes must be
// whole. "auto" is -1: the engine's default. Throws std::invalid_argument with a reason that
// reads after "<flag>: ".
int64_t parse_size(const std::string& text);

}  // namespace nt::bench
