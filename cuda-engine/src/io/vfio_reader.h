// The `vfio` storage reader (io/storage_reader.h; DESIGN §2, backend 3): tier C read through
// nt-nvme-helper's VFIO data plane. The helper's `open-dataplane` hands ntd a sealed memfd — a
// ring page and staging slots its own NVMe driver reads into (protocol/helper/dataplaneRing.h);
// this reader maps it and asks for image byte ranges slot by slot (every slot in flight). read()
// copies each slot out once its completion arrives; read_through() hands the slot itself to the
// streamer, which uploads from it (the slots registered with the device: no host copy) and holds
// it until that upload is done. Neither JS event loop is on this path. The VFIO fds
// stay in the helper; a refused or failed request, a session the helper stopped, or a helper that
// no longer answers (dead) fails the read with NT_E_IO instead of hanging.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "io/storage_reader.h"

namespace nt {

struct VfioReaderOptions {
  // How long a read waits for a completion before it calls the helper gone (NT_E_IO). The helper
  // fails a command its controller holds past 30 s itself, so this is above that.
  int completion_timeout_ms = 40000;
};

class VfioReader : public StorageReader {
 public:
  // Maps the session's memfd (borrowed: the caller closes it; the mapping stays) and checks its
  // header (magic, version, geometry within the file). Throws EngineError NT_E_IO naming `what`.
  static std::unique_ptr<VfioReader> map(int memfd, const std::string& what, const VfioReaderOptions& options);
  // Tells the helper the session is over (it quiesces and shuts the controller down), then unmaps.
  ~VfioReader() override;
  VfioReader(const VfioReader&) = delete;
  VfioReader& operator=(const VfioReader&) = delete;

  uint64_t alignment() const override;  // the namespace's logical block size
  bool direct() const override { return true; }
  // The GGUF's size as the helper's image header says.
  uint64_t image_bytes() const;

  // Reads [offset, offset + bytes) of the GGUF into dst (offset and bytes aligned to alignment();
  // the tail may run into the last block's padding). Serialised: one read at a time per session.
  // Throws EngineError NT_E_IO naming the session, the offset and the helper's code.
  void read(uint8_t* dst, uint64_t offset, uint64_t bytes) override;
  // The staging slots of the shared memory (what the streamer registers with the device).
  OwnBuffers own_buffers() const override;
  // The same reads, each slot handed to `sink` as it completes and asked for again only after
  // sink.wait_slot(slot); serialised with read().
  void read_through(uint64_t offset, uint64_t bytes, SlotSink& sink) override;

 private:
  struct State;
  explicit VfioReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace nt
