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
// memfd says nothing of the drive behind it: those are keyed by the device the caller names
// (storage_key).
dev_t storage_device(const ModelSource& source) {
  struct stat st {};
  if (source.is_vfio()) return 0;
  if (source.is_image()) {
    if (::fstat(source.fd, &st) != 0) return 0;
    return S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev;
  }
  return ::stat(source.path.c_str(), &st) == 0 ? st.st_dev : 0;
}

// The cache key's kind part: the device, the data plane's drive where there is one, and whether
// reads bypass the page cache.
std::string storage_key(const StreamDevice& device, const StorageReader& reader, const ModelSource& source) {
  std::string key = device.name();
  if (source.is_vfio()) key += "/vfio:" + source.device;
  return key + (reader.direct() ? "" : "/buffered");
}

}  // namespace

LinkSpeeds measured_links(StreamDevice& device, StorageReader& reader, const ModelSource& source, uint64_t data_offset,
                          uint64_t data_bytes) {
  static std::mutex mutex;
  static std::map<std::pair<std::string, dev_t>, LinkSpeeds> cache;
  const dev_t storage = storage_device(source);
  const auto key = std::make_pair(storage_key(device, reader, source), storage);
  // A data-plane session that does not say which drive it reads is measured every load: another
  // drive's figure would plan it wrongly.
  const bool cacheable = !source.is_vfio() || !source.device.empty();
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(key);
  if (cacheable && it != cache.end()) return it->second;
  LinkMeasureOptions options;
  options.bytes = kMeasureBytes;
  options.repeats = 2;
  const LinkSpeeds links = measure_links(device, &reader, data_offset, data_bytes, options);
  // A file too small to time leaves storage at 0; the planner needs a positive figure.
  LinkSpeeds usable = links;
  if (!(usable.storage_gbps > 0)) usable.storage_gbps = 1.0;
  if (cacheable) cache.emplace(key, usable);
  return usable;
}

}  // namespace nt
