#include "io/direct_reader.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "core/engine_error.h"

namespace nt {

namespace {

// Regular files: O_DIRECT on ext4/xfs/btrfs needs offsets, lengths and buffers aligned to the
// filesystem's logical block size, which is 4096 on current disks (and never more than the page
// size that pinned buffers are aligned to anyway).
constexpr uint64_t kFileAlignment = 4096;
constexpr uint64_t kMinAlignment = 512;

std::string errno_text(int err) { return std::strerror(err); }

uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

[[noreturn]] void throw_io(const std::string& message) { throw EngineError(NT_E_IO, message); }

// The refusal message when O_DIRECT is not available and buffered reads were not allowed.
[[noreturn]] void throw_no_direct(const std::string& what) {
  throw_io("the filesystem holding " + what +
           " refuses O_DIRECT (tmpfs, some overlays and network filesystems do); move the model to "
           "ext4/xfs/btrfs, or load with allow_buffered_io to read it through the page cache");
}

struct FileFacts {
  uint64_t alignment = kFileAlignment;
  uint64_t size = 0;  // bytes readable from offset 0 (the file, or the whole block device)
};

// The alignment O_DIRECT needs and the size, from the fd itself.
FileFacts file_facts(int fd, const std::string& what) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_io("cannot stat " + what + ": " + errno_text(errno));
  FileFacts facts;
  if (S_ISBLK(st.st_mode)) {
    int logical = 0;
    if (::ioctl(fd, BLKSSZGET, &logical) != 0)
      throw_io("cannot read the logical block size of " + what + ": " + errno_text(errno));
    uint64_t size = 0;
    if (::ioctl(fd, BLKGETSIZE64, &size) != 0)
      throw_io("cannot read the size of " + what + ": " + errno_text(errno));
    facts.alignment = std::max<uint64_t>(kMinAlignment, static_cast<uint64_t>(logical));
    facts.size = size;
  } else if (S_ISREG(st.st_mode)) {
    facts.size = static_cast<uint64_t>(st.st_size);
  } else {
    throw_io(what + " is neither a regular file nor a block device");
  }
  return facts;
}

// One piece of a read() call, and the call's shared completion record.
struct Batch {
  size_t pending = 0;                // pieces not yet finished
  std::exception_ptr failure;        // the first piece's error
};
struct Request {
  uint8_t* dst = nullptr;
  uint64_t offset = 0;  // absolute (base offset included)
  uint64_t bytes = 0;
  Batch* batch = nullptr;
};

}  // namespace

struct DirectReader::State {
  int fd = -1;
  std::string what;
  uint64_t base_offset = 0;
  uint64_t alignment = kFileAlignment;
  uint64_t file_size = 0;
  uint64_t request_bytes = 0;
  bool direct = true;

  std::mutex mutex;
  std::condition_variable work_posted;     // idle I/O threads sleep here
  std::condition_variable piece_finished;  // read() callers sleep here
  std::deque<Request> queue;
  bool stopping = false;
  std::vector<std::thread> threads;

  // Takes the open fd (closing it if anything below fails) and starts the I/O threads.
  static std::unique_ptr<State> create(int fd, const std::string& what, uint64_t base_offset, bool direct,
                                       const DirectReaderOptions& options);

  ~State() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    work_posted.notify_all();
    for (std::thread& t : threads) t.join();
    if (fd >= 0) ::close(fd);
  }

  void start(int io_threads) {
    const int n = std::max(1, io_threads);
    for (int i = 0; i < n; ++i) threads.emplace_back([this] { serve(); });
  }

  void serve() {
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      work_posted.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping, nothing left
      Request r = queue.front();
      queue.pop_front();
      const bool skip = static_cast<bool>(r.batch->failure);  // its call already failed
      lock.unlock();
      std::exception_ptr failure;
      if (!skip) {
        try {
          read_piece(r);
        } catch (...) {
          failure = std::current_exception();
        }
      }
      lock.lock();
      if (failure && !r.batch->failure) r.batch->failure = failure;
      --r.batch->pending;
      if (r.batch->pending == 0) piece_finished.notify_all();
    }
  }

  // preads one piece, retrying after EINTR and partial transfers. A piece that runs past the end
  // of the file into the padding of its last block (read() allowed it) has that tail zeroed.
  void read_piece(const Request& r) const {
    uint64_t done = 0;
    while (done < r.bytes) {
      const ssize_t n = ::pread(fd, r.dst + done, r.bytes - done, static_cast<off_t>(r.offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_io(read_failure(r.offset + done, errno_text(errno)));
      done += static_cast<uint64_t>(n);
      if (r.offset + done >= file_size) break;  // end of file reached
      // O_DIRECT cannot continue from an unaligned position: a short read before the end is an error.
      if (n == 0 || (direct && done % alignment != 0)) break;
    }
    if (done < r.bytes && r.offset + done < file_size)
      throw_io(read_failure(r.offset + done, "short read (" + std::to_string(done) + " of " +
                                                 std::to_string(r.bytes) + " bytes)"));
    std::memset(r.dst + done, 0, r.bytes - done);
  }

  std::string read_failure(uint64_t absolute_offset, const std::string& reason) const {
    return "cannot read " + what + " at offset " + std::to_string(absolute_offset) + ": " + reason;
  }

  void check_request(const uint8_t* dst, uint64_t offset, uint64_t bytes) const {
    if (reinterpret_cast<uintptr_t>(dst) % alignment != 0 || offset % alignment != 0 || bytes % alignment != 0)
      throw EngineError(NT_E_INTERNAL, "read of " + what + " at offset " + std::to_string(offset) + " (" +
                                           std::to_string(bytes) + " bytes) is not aligned to " +
                                           std::to_string(alignment) + " bytes");
    // Only the padding of the file's last block may lie past its end: a GGUF's last tensor often
    // ends mid-block, and callers round its range out.
    const uint64_t end = base_offset + offset + bytes;
    if (end < offset || end > round_up(file_size, alignment))
      throw_io(read_failure(base_offset + offset, "range of " + std::to_string(bytes) +
                                                      " bytes runs past the end (" +
                                                      std::to_string(file_size) + " bytes)"));
  }

  void read(uint8_t* dst, uint64_t offset, uint64_t bytes) {
    check_request(dst, offset, bytes);
    if (bytes == 0) return;
    Batch batch;
    {
      std::lock_guard<std::mutex> lock(mutex);
      for (uint64_t at = 0; at < bytes; at += request_bytes) {
        queue.push_back({dst + at, base_offset + offset + at, std::min(request_bytes, bytes - at), &batch});
        ++batch.pending;
      }
    }
    work_posted.notify_all();
    std::unique_lock<std::mutex> lock(mutex);
    // Every piece must finish, even after one failed: none may write into dst after we return.
    piece_finished.wait(lock, [&] { return batch.pending == 0; });
    if (batch.failure) std::rethrow_exception(batch.failure);
  }
};

std::unique_ptr<DirectReader> DirectReader::open(const std::string& path, uint64_t base_offset,
                                                 const DirectReaderOptions& options) {
  bool direct = true;
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
  if (fd < 0 && errno == EINVAL) {
    if (!options.allow_buffered) throw_no_direct(path);
    direct = false;
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  if (fd < 0) {
    const int err = errno;
    throw EngineError(err == ENOENT || err == ENOTDIR ? NT_E_NOT_FOUND : NT_E_IO,
                      "cannot open " + path + ": " + errno_text(err));
  }
  return std::unique_ptr<DirectReader>(new DirectReader(State::create(fd, path, base_offset, direct, options)));
}

std::unique_ptr<DirectReader> DirectReader::adopt(int fd, const std::string& what, uint64_t base_offset,
                                                  const DirectReaderOptions& options) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) throw_io("cannot use the descriptor for " + what + ": " + errno_text(errno));
  // From here on the fd is ours: close it on every failure.
  auto fail = [&](const std::string& message) {
    ::close(fd);
    throw_io(message);
  };
  if ((flags & O_ACCMODE) == O_WRONLY) fail("the descriptor for " + what + " is not open for reading");
  bool direct = (flags & O_DIRECT) != 0;
  if (!direct) {
    if (::fcntl(fd, F_SETFL, flags | O_DIRECT) == 0) {
      direct = true;
    } else if (errno != EINVAL) {
      fail("cannot set O_DIRECT on the descriptor for " + what + ": " + errno_text(errno));
    } else if (!options.allow_buffered) {
      ::close(fd);
      throw_no_direct(what);
    }
  }
  return std::unique_ptr<DirectReader>(new DirectReader(State::create(fd, what, base_offset, direct, options)));
}

std::unique_ptr<DirectReader::State> DirectReader::State::create(int fd, const std::string& what,
                                                                 uint64_t base_offset, bool direct,
                                                                 const DirectReaderOptions& options) {
  auto state = std::make_unique<State>();
  state->fd = fd;  // the state closes it from now on, also if we throw below
  state->what = what;
  state->base_offset = base_offset;
  state->direct = direct;
  const FileFacts facts = file_facts(fd, what);
  state->alignment = facts.alignment;
  state->file_size = facts.size;
  if (base_offset % state->alignment != 0)
    throw EngineError(NT_E_BAD_REQUEST, "the image offset " + std::to_string(base_offset) + " in " + what +
                                            " is not aligned to " + std::to_string(state->alignment) +
                                            " bytes");
  state->request_bytes = std::max(state->alignment, round_up(options.request_bytes, state->alignment));
  state->start(options.io_threads);
  return state;
}

DirectReader::DirectReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
DirectReader::~DirectReader() = default;

uint64_t DirectReader::alignment() const { return state_->alignment; }
bool DirectReader::direct() const { return state_->direct; }

void DirectReader::read(uint8_t* dst, uint64_t offset, uint64_t bytes) { state_->read(dst, offset, bytes); }

}  // namespace nt
