// A client of nt-nvme-helper's VFIO data plane for the QEMU proof (guestVfioProof.ts): maps the
// session's memfd (inherited as fd 3) and drives the ring of protocol/helper/dataplaneRing.h the
// way the engine's vfio reader does. Built by scripts/qemu/runVfioProof.sh; not part of the product.
//   dataplaneClient read-all   the whole image to stdout, every slot in flight; timing on stderr
//   dataplaneClient hostile    the refusal cases, one "case NAME status N untouched Y|N" line each
//   dataplaneClient close      marks the session closed and waits until the helper has stopped it
//   dataplaneClient hold       requests one read, prints "holding", then sleeps (to be killed)
//   dataplaneClient wait-stop  waits (≤ 20 s) until the helper has stopped the session; prints its stop code
//   dataplaneClient bench N    reads the whole image N times, every slot in flight; prints "bench BYTES SECONDS"
//   dataplaneClient odirect DEVICE OFFSET BYTES CHUNK N
//                              the same through the kernel: O_DIRECT preads of CHUNK (one in flight), N times; no fd 3
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../../protocol/helper/dataplaneRing.h"

static nt_dp_header* header;
static uint8_t* slots;
static uint32_t next_tag = 1;

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char* what) {
  fprintf(stderr, "dataplaneClient: %s\n", what);
  exit(2);
}

static void submit(uint64_t image_offset, uint32_t bytes, uint32_t slot, uint32_t slot_offset, uint32_t tag) {
  uint32_t tail = header->request_tail;
  while (tail - __atomic_load_n(&header->request_head, __ATOMIC_ACQUIRE) >= NT_DP_RING_ENTRIES) usleep(100);
  nt_dp_request* request = &header->requests[tail % NT_DP_RING_ENTRIES];
  *request = (nt_dp_request){.image_offset = image_offset, .bytes = bytes, .slot = slot, .slot_offset = slot_offset, .tag = tag};
  __atomic_store_n(&header->request_tail, tail + 1, __ATOMIC_RELEASE);
  syscall(SYS_futex, &header->request_tail, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/** The next completion, waiting at most 10 s. */
static nt_dp_completion take(void) {
  uint32_t head = header->completion_head;
  double deadline = seconds() + 10;
  for (;;) {
    uint32_t tail = __atomic_load_n(&header->completion_tail, __ATOMIC_ACQUIRE);
    if (tail != head) break;
    if (__atomic_load_n(&header->session_state, __ATOMIC_ACQUIRE) == NT_DP_STATE_STOPPED) die("the helper stopped the session");
    if (seconds() > deadline) die("no completion within 10 s");
    struct timespec timeout = {0, 50000000};
    syscall(SYS_futex, &header->completion_tail, FUTEX_WAIT, tail, &timeout, NULL, 0);
  }
  nt_dp_completion completion = header->completions[head % NT_DP_RING_ENTRIES];
  __atomic_store_n(&header->completion_head, head + 1, __ATOMIC_RELEASE);
  return completion;
}

static void write_all(const uint8_t* data, size_t bytes) {
  while (bytes > 0) {
    ssize_t wrote = write(1, data, bytes);
    if (wrote <= 0) die("write to stdout");
    data += wrote;
    bytes -= (size_t)wrote;
  }
}

/** Reads the image in chunks of one slot, every slot in flight; writes it out in order unless `discard`. Returns the bytes read. */
static uint64_t read_image(int discard) {
  uint64_t chunk = header->slot_bytes < header->max_request_bytes ? header->slot_bytes : header->max_request_bytes;
  chunk -= chunk % header->lba_bytes;
  uint64_t limit = (header->image_bytes + header->lba_bytes - 1) / header->lba_bytes * header->lba_bytes;
  uint64_t issued = 0, written = 0;
  unsigned in_flight = 0;
  double t0 = seconds();
  while (written < header->image_bytes) {
    while (in_flight < header->slot_count && issued < limit) {
      uint32_t bytes = (uint32_t)(limit - issued < chunk ? limit - issued : chunk);
      uint32_t slot = (uint32_t)((issued / chunk) % header->slot_count);
      submit(issued, bytes, slot, 0, (uint32_t)(issued / chunk));
      issued += bytes;
      in_flight++;
    }
    nt_dp_completion completion = take();  // in request order: the helper posts them so
    in_flight--;
    if (completion.status != NT_DP_OK) {
      fprintf(stderr, "dataplaneClient: request %u failed with %d\n", completion.tag, completion.status);
      exit(3);
    }
    uint64_t offset = (uint64_t)completion.tag * chunk;
    uint64_t useful = header->image_bytes - offset < completion.bytes ? header->image_bytes - offset : completion.bytes;
    if (!discard) write_all(slots + (size_t)(completion.tag % header->slot_count) * header->slot_bytes, useful);
    written += useful;
  }
  double took = seconds() - t0;
  if (!discard) fprintf(stderr, "dataplaneClient: read %llu bytes in %.3f s (%.1f MB/s)\n", (unsigned long long)written, took, (double)written / took / 1e6);
  return written;
}

static void bench(int times) {
  double t0 = seconds();
  uint64_t bytes = 0;
  for (int i = 0; i < times; i++) bytes += read_image(1);
  printf("bench %llu %.6f\n", (unsigned long long)bytes, seconds() - t0);
}

/** The kernel's path on the same device: O_DIRECT preads of `chunk` bytes, one at a time. */
static int odirect(const char* device, uint64_t offset, uint64_t bytes, uint64_t chunk, int times) {
  int fd = open(device, O_RDONLY | O_DIRECT);
  if (fd < 0) die("open O_DIRECT");
  void* buffer = NULL;
  if (posix_memalign(&buffer, 4096, chunk) != 0) die("posix_memalign");
  double t0 = seconds();
  uint64_t total = 0;
  for (int i = 0; i < times; i++) {
    for (uint64_t done = 0; done < bytes; done += chunk) {
      uint64_t want = bytes - done < chunk ? (bytes - done + 4095) / 4096 * 4096 : chunk;
      if (pread(fd, buffer, want, (off_t)(offset + done)) != (ssize_t)want) die("short O_DIRECT read");
      total += bytes - done < chunk ? bytes - done : chunk;
    }
  }
  printf("bench %llu %.6f\n", (unsigned long long)total, seconds() - t0);
  return 0;
}

/** One refused case: the slot is filled with 0xAB first and must be untouched after. */
static void hostile_case(const char* name, uint64_t image_offset, uint32_t bytes, uint32_t slot, uint32_t slot_offset) {
  memset(slots, 0xab, header->slot_bytes);
  uint32_t tag = next_tag++;
  submit(image_offset, bytes, slot, slot_offset, tag);
  nt_dp_completion completion = take();
  int untouched = 1;
  for (uint64_t i = 0; i < header->slot_bytes; i++) untouched &= slots[i] == 0xab;
  printf("case %s status %d untouched %s tag %s\n", name, completion.status, untouched ? "Y" : "N", completion.tag == tag ? "ok" : "wrong");
}

static void hostile(void) {
  uint32_t lba = header->lba_bytes;
  uint64_t limit = (header->image_bytes + lba - 1) / lba * lba;
  hostile_case("past-image", limit, lba, 0, 0);
  hostile_case("straddles-image-end", limit - lba, 2 * lba, 0, 0);
  hostile_case("huge-offset", ~0ull - lba + 1, lba, 0, 0);
  hostile_case("bad-slot", 0, lba, header->slot_count, 0);
  hostile_case("past-slot", 0, 2 * lba, 0, (uint32_t)header->slot_bytes - lba);
  hostile_case("misaligned-offset", 1, lba, 0, 0);
  hostile_case("misaligned-length", 0, lba + 1, 0, 0);
  hostile_case("misaligned-slot-offset", 0, lba, 0, 2);
  hostile_case("zero-bytes", 0, 0, 0, 0);
  hostile_case("too-many-bytes", 0, header->max_request_bytes + lba, 0, 0);
  // A flood: a ring's worth of refused requests, then one good read, whose data must arrive.
  memset(slots, 0xab, header->slot_bytes);
  for (unsigned i = 0; i < NT_DP_RING_ENTRIES; i++) submit(limit, lba, 0, 0, 1000 + i);
  submit(0, lba, 0, 0, 2000);
  int refused = 0, good = -1;
  for (unsigned i = 0; i <= NT_DP_RING_ENTRIES; i++) {
    nt_dp_completion completion = take();
    if (completion.tag == 2000) good = completion.status;
    else if (completion.status == NT_DP_E_RANGE) refused++;
  }
  printf("case flood refused %d good %d gguf-magic %s\n", refused, good, memcmp(slots, "GGUF", 4) == 0 ? "Y" : "N");
}

static void close_session(void) {
  __atomic_store_n(&header->session_state, NT_DP_STATE_CLIENT_CLOSED, __ATOMIC_RELEASE);
  syscall(SYS_futex, &header->request_tail, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static void wait_stop(void) {
  for (double deadline = seconds() + 20; seconds() < deadline; usleep(10000)) {
    if (__atomic_load_n(&header->session_state, __ATOMIC_ACQUIRE) == NT_DP_STATE_STOPPED) {
      printf("stopped %d\n", header->stop_code);
      return;
    }
  }
  die("the session did not stop within 20 s");
}

int main(int argc, char** argv) {
  if (argc == 7 && strcmp(argv[1], "odirect") == 0) {
    return odirect(argv[2], strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10), strtoull(argv[5], NULL, 10), atoi(argv[6]));
  }
  if (argc != 2 && !(argc == 3 && strcmp(argv[1], "bench") == 0)) die("usage: dataplaneClient read-all|hostile|close|hold|wait-stop|bench N (memfd as fd 3)");
  struct stat st;
  if (fstat(3, &st) != 0) die("no fd 3");
  uint8_t* map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, 3, 0);
  if (map == MAP_FAILED) die("mmap of fd 3");
  header = (nt_dp_header*)map;
  if (header->magic != NT_DP_MAGIC || header->version != NT_DP_VERSION) die("not a data plane ring");
  if (header->slots_offset + (uint64_t)header->slot_count * header->slot_bytes > (uint64_t)st.st_size) die("slots past the memfd's end");
  slots = map + header->slots_offset;
  if (ftruncate(3, st.st_size / 2) == 0) die("the memfd could be shrunk: not sealed");
  if (strcmp(argv[1], "read-all") == 0) {
    read_image(0);
  } else if (strcmp(argv[1], "bench") == 0) {
    bench(atoi(argv[2]));
  } else if (strcmp(argv[1], "hostile") == 0) {
    hostile();
  } else if (strcmp(argv[1], "close") == 0) {
    close_session();
    wait_stop();
  } else if (strcmp(argv[1], "wait-stop") == 0) {
    wait_stop();
  } else if (strcmp(argv[1], "hold") == 0) {
    submit(0, header->lba_bytes, 0, 0, 1);
    take();
    printf("holding\n");
    fflush(stdout);
    for (;;) pause();
  } else {
    die("unknown mode");
  }
  return 0;
}
