// The streaming pipeline of DESIGN §2. Each pass the forward pass walks the same groups in the
// same order (block 0 .. block n-1, then the output head), so the streamer runs that cycle ahead
// of it: I/O threads read a group's tier-C tensors into a pinned staging buffer, a copy thread
// moves the group's tier-B tensors (from their pinned home) and tier-C tensors (from staging) into
// a device slot, and the compute side uses the slot and hands it back. Rings of `slots` staging
// buffers and device slots bound how far ahead the readers and the copies run (the prefetch depth
// is slots - 1). A reader that reads into buffers of its own (vfio) has them registered with the
// device instead, and the I/O thread uploads each piece from there into the device slot as it
// arrives (StorageReader::read_through): no staging, no host copy. The streamer moves bytes only;
// what to stream comes from the tier plan.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend/stream_device.h"
#include "io/storage_reader.h"
#include "tier/tier_plan.h"

namespace nt {

// One tensor a group moves into its slot.
struct StreamedTensor {
  std::string name;
  bool from_storage = false;       // tier C: read from the file each pass; else tier B
  const uint8_t* pinned = nullptr; // tier B: its bytes in pinned host memory
  uint64_t file_offset = 0;        // tier C: its bytes in the file (before the reader's base offset)
  uint64_t bytes = 0;
  uint64_t slot_offset = 0;        // where it lands in the device slot (the streamer assigns it,
                                   // 256-byte aligned, in the order given)
};

// What one device slot holds during one step of the pass.
struct StreamGroup {
  std::string name;                     // "blk.7", "output"
  std::vector<StreamedTensor> tensors;  // at least one
  // A tier-D block (the dual path): streamed only in the passes that do not compute it on the
  // CPU (begin_pass). Its tensors are in pinned memory, never read from storage.
  bool optional = false;
};

struct StreamerOptions {
  int slots = kMinStagingSlots;  // VRAM slots and pinned staging buffers (read, copy, compute at once)
  // Each tensor is copied in pieces of at most this many bytes: a small copy the compute side
  // issues meanwhile (a dual-path switch's activations) may queue behind the current piece on the
  // copy engine, and a 70B layer's tensors are up to 230 MB (4 ms at 55 GB/s); nt-bench --profile
  // measured ~1 ms per switch's upload. 16 MiB still moves at the link's full rate.
  uint64_t copy_piece_bytes = 16ull << 20;
};

// Cumulative host-side figures since load (the device's own stage times are added in).
struct StreamStats {
  uint64_t passes = 0;
  uint64_t bytes_read = 0;      // from storage, rounded-out ranges included
  uint64_t bytes_copied = 0;    // into device slots
  double read_ms = 0;           // I/O busy time
  double h2d_ms = 0;            // copy time (memcpy on the CPU backend, events on CUDA)
  double compute_ms = 0;        // pass time not spent waiting
  double stall_ms = 0;          // the compute side waiting for a group
  uint64_t split_passes = 0;    // of `passes`, those that took the dual split (Model fills it in)
  // How tier C reaches the device: "" (nothing streams from storage), "staging" (read into the
  // streamer's pinned staging, then copied) or "reader-buffers" (uploaded straight from the
  // reader's own registered buffers: the vfio data plane's slots, no host copy).
  std::string tier_c_path;
  std::string tier_c_fallback;  // why the reader's buffers were offered but not used ("" if not)
};

class WeightStreamer {
 public:
  // Assigns each tensor's slot_offset, allocates the rings (device slots of the largest group,
  // pinned staging of the largest rounded-out tier-C range) and starts the threads, which begin
  // filling the first slots at once. `reader` may be null when no group has tier-C tensors.
  // Throws EngineError NT_E_OUT_OF_MEMORY / NT_E_BAD_REQUEST (fewer than 3 slots).
  WeightStreamer(StreamDevice& device, StorageReader* reader, std::vector<StreamGroup> groups,
                 const StreamerOptions& options);
  ~WeightStreamer();  // stops and joins the threads, frees the rings
  WeightStreamer(const WeightStreamer&) = delete;
  WeightStreamer& operator=(const WeightStreamer&) = delete;

  const std::vector<StreamGroup>& groups() const;
  uint64_t slot_bytes() const;     // one device slot
  uint64_t staging_bytes() const;  // one pinned staging buffer (0 without tier C or through the reader's buffers)

  // Declares the next pass (the compute side, before its first acquire): whether it skips the
  // optional groups (the dual path computes them on the CPU) or streams them. The pipeline runs
  // ahead into a pass only as far as its first optional group until the pass is declared, so a
  // pass of either kind finds its next groups on the way. Without optional groups every pass
  // streams every group and declaring is optional (a no-op).
  void begin_pass(bool skip_optional);

  // The compute side, strictly in cycle order (group 0, 1, ..., n-1, 0, ..., less the optional
  // groups of the passes that skip them): acquire returns
  // the device address of the slot holding `group` (its tensors at + slot_offset) after ordering
  // the compute side behind its copies; release hands the slot back once the work reading it has
  // been issued. Acquire throws EngineError NT_E_IO (or the error that stopped the pipeline) and
  // NT_E_INTERNAL for a group out of order (or one that would hold every slot, or one of a pass
  // not declared yet while there are optional groups); release throws
  // NT_E_INTERNAL unless `group` is the oldest one acquired. After an error the streamer stays
  // failed: groups copied before it still arrive, the first one after it and all later throw.
  // A pass abandoned between acquire and release (an exception in the forward pass) leaves the
  // cycle where it stopped; the next acquire must still be the next group, so the owner must
  // treat itself as failed (Model does) — destroying the streamer is always safe.
  uint8_t* acquire(size_t group);
  void release(size_t group);

  // Marks a pass boundary for the statistics (call after the pass's results are on the host).
  void end_pass(double pass_ms);
  StreamStats stats() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace nt
