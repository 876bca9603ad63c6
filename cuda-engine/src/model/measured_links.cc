#include "model/measured_links.h"

#include <sys/stat.h>

#include <map>
#include <mutex>
#include <utility>

#include "stream/measure_links.h"

namespace nt {

namespace {

// 256 MiB: on the H200 host, 64 MiB reads measured 1.0-1.5 GB/s where the streamer then read at
// 1.7 GB/s (more requests in flight over a long range). Cached per process, so paid once.
constexpr uint64_t kMeasureBytes = 256ull << 20;

// The device the bytes come from: a block device's own number for an image on one (st_rdev: its
// st_dev is devtmpfs, shared by every device node), else the filesystem's. A data-plane session's
// memfd says nothing of the drive behind it: those are keyed apart by the reader's kind instead.
dev_t storage_device(const ModelSource& source) {
  struct stat st {};
  if (source.is_vfio()) return 0;
  if (source.is_image()) {
    if (::fstat(source.fd, &st) != 0) return 0;
    return S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev;
  }
  return ::stat(source.path.c_str(), &st) == 0 ? st.st_dev : 0;
}

}  // namespace

LinkSpeeds measured_links(StreamDevice& device, StorageReader& reader, const ModelSource& source, uint64_t data_offset,
                          uint64_t data_bytes) {
  static std::mutex mutex;
  static std::map<std::pair<std::string, dev_t>, LinkSpeeds> cache;
  const dev_t storage = storage_device(source);
  const auto key = std::make_pair(std::string(device.name()) + (source.is_vfio() ? "/vfio" : "") + (reader.direct() ? "" : "/buffered"), storage);
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  LinkMeasureOptions options;
  options.bytes = kMeasureBytes;
  options.repeats = 2;
  const LinkSpeeds links = measure_links(device, &reader, data_offset, data_bytes, options);
  // A file too small to time leaves storage at 0; the planner needs a positive figure.
  LinkSpeeds usable = links;
  if (!(usable.storage_gbps > 0)) usable.storage_gbps = 1.0;
  cache.emplace(key, usable);
  return usable;
}

}  // namespace nt
