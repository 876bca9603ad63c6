// The data-plane thread: ring in, NVMe READs into the slots, ring out. The client is untrusted
// (nvme-helper/THREAT_MODEL.md): every request is copied out of shared memory once and the copy
// validated against geometry the helper keeps in its own memory; the ring indices are sanity
// checked (a client that claims more than a ring's worth of requests ends its session). Refusals
// are posted as completions with an NT_DP_E_* code and logged (rate limited) to stderr, the
// helper's log.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../../protocol/helper/dataplaneRing.h"
#include "dataplane.h"

/** A command the controller has not completed in this long: the controller is treated as failed. */
#define COMMAND_DEADLINE_MS 30000u
/** How long an idle thread sleeps on the request counter before it looks at the client's pid and stop flags. */
#define IDLE_WAIT_MS 50
/** At stop, how long in-flight commands may take to finish before the controller is given up (reset on close). */
#define QUIESCE_MS 10000u
#define MAX_REFUSAL_LOGS_PER_SECOND 10
/** With MSI-X, the longest sleep on the eventfd while commands are in flight: a lost interrupt costs at most this. */
#define IRQ_WAIT_MS 10

/** What the thread knows of one taken request (indexed by its ring index % NT_DP_RING_ENTRIES). */
typedef struct {
  nt_dp_request request;
  uint64_t submitted;     // bytes whose commands are submitted
  uint32_t commands;      // commands in flight
  int32_t status;
  int done;               // validated-and-refused, or every command completed
} tracked_request;

typedef struct {
  dataplane* dp;
  nt_dp_header* header;
  tracked_request tracked[NT_DP_RING_ENTRIES];
  uint32_t taken;         // requests taken from the ring (our request_head)
  uint32_t posted;        // completions posted (our completion_tail)
  uint32_t cid_request[NVME_IO_SLOTS];
  uint64_t cid_started_ms[NVME_IO_SLOTS];
  uint64_t log_second;
  unsigned logs_this_second;
} worker;

static uint64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static void futex_wake(uint32_t* word) {
  syscall(SYS_futex, word, FUTEX_WAKE, 0x7fffffff, NULL, NULL, 0);
}

static void futex_wait(uint32_t* word, uint32_t seen, int timeout_ms) {
  struct timespec timeout = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
  syscall(SYS_futex, word, FUTEX_WAIT, seen, &timeout, NULL, 0);
}

static void log_refusal(worker* w, const nt_dp_request* request, int32_t code, const char* why) {
  uint64_t second = now_ms() / 1000;
  if (second != w->log_second) w->log_second = second, w->logs_this_second = 0;
  if (w->logs_this_second++ >= MAX_REFUSAL_LOGS_PER_SECOND) return;
  fprintf(stderr, "nt-nvme-helper: data plane refused a request (code %d, %s): image offset %llu, %u bytes, slot %u at %u, tag %u\n",
          code, why, (unsigned long long)request->image_offset, request->bytes, request->slot, request->slot_offset, request->tag);
}

/** NT_DP_OK, or why `request` may not be read. */
static int32_t validate(const dataplane* dp, const nt_dp_request* request, const char** why) {
  uint32_t lba = dp->ctrl->lba_bytes;
  if (request->bytes == 0 || request->bytes > dp->max_request_bytes) return *why = "size", NT_DP_E_SIZE;
  if (request->image_offset % lba != 0 || request->bytes % lba != 0 || request->slot_offset % 4 != 0) return *why = "alignment", NT_DP_E_ALIGN;
  if (request->image_offset > dp->image_limit || request->bytes > dp->image_limit - request->image_offset) return *why = "outside the image", NT_DP_E_RANGE;
  if (request->slot >= dp->config.slot_count || request->slot_offset > dp->config.slot_bytes ||
      request->bytes > dp->config.slot_bytes - request->slot_offset) {
    return *why = "outside the slots", NT_DP_E_SLOT;
  }
  return NT_DP_OK;
}

/** Takes the next request from the ring if one is there and a tracking entry is free; returns whether it did. */
static int take_request(worker* w) {
  uint32_t tail = __atomic_load_n(&w->header->request_tail, __ATOMIC_ACQUIRE);
  if (tail == w->taken || w->taken - w->posted >= NT_DP_RING_ENTRIES) return 0;
  if (tail - w->taken > NT_DP_RING_ENTRIES) {
    // More requests than the ring holds: the client's counter is garbage. End the session.
    __atomic_store_n(&w->dp->stop_requested, 1, __ATOMIC_RELAXED);
    w->dp->stop_code = NT_DP_E_RANGE;
    fprintf(stderr, "nt-nvme-helper: data plane client published %u requests past %u; ending its session\n", tail, w->taken);
    return 0;
  }
  tracked_request* t = &w->tracked[w->taken % NT_DP_RING_ENTRIES];
  memset(t, 0, sizeof *t);
  // One copy out of shared memory; only the copy is looked at from here on.
  memcpy(&t->request, (const void*)&w->header->requests[w->taken % NT_DP_RING_ENTRIES], sizeof t->request);
  w->taken++;
  __atomic_store_n(&w->header->request_head, w->taken, __ATOMIC_RELEASE);
  __atomic_fetch_add(&w->dp->stats.requests, 1, __ATOMIC_RELAXED);
  const char* why = "";
  t->status = validate(w->dp, &t->request, &why);
  if (t->status != NT_DP_OK) {
    t->done = 1;
    __atomic_fetch_add(&w->dp->stats.refused, 1, __ATOMIC_RELAXED);
    log_refusal(w, &t->request, t->status, why);
  } else if (w->dp->ctrl->fatal) {
    t->status = NT_DP_E_FATAL;
    t->done = 1;
  }
  return 1;
}

/** Submits commands for taken requests while I/O slots are free; returns how many it submitted. */
static int submit_commands(worker* w) {
  dataplane* dp = w->dp;
  int submitted = 0;
  for (uint32_t index = w->posted; index != w->taken; index++) {
    tracked_request* t = &w->tracked[index % NT_DP_RING_ENTRIES];
    while (!t->done && t->status == NT_DP_OK && t->submitted < t->request.bytes) {
      unsigned cid = nvme_io_free_slot(dp->ctrl);
      if (cid >= NVME_IO_SLOTS) return submitted;
      uint64_t chunk = t->request.bytes - t->submitted;
      if (chunk > dp->ctrl->max_transfer_bytes) chunk = dp->ctrl->max_transfer_bytes;
      uint64_t lba = dp->config.image_lba + (t->request.image_offset + t->submitted) / dp->ctrl->lba_bytes;
      uint64_t iova = dp->slots.iova + t->request.slot * dp->config.slot_bytes + t->request.slot_offset + t->submitted;
      nt_fail fail = {0};
      if (nvme_io_submit_read(dp->ctrl, cid, lba, chunk, iova, &fail) != 0) {
        t->status = NT_DP_E_IO;
        break;
      }
      w->cid_request[cid] = index;
      w->cid_started_ms[cid] = now_ms();
      t->submitted += chunk;
      t->commands++;
      submitted++;
    }
  }
  return submitted;
}

/** Reaps completions, and fails the controller when a command is past its deadline; returns how many it reaped. */
static int reap_commands(worker* w) {
  dataplane* dp = w->dp;
  int reaped = 0;
  uint16_t cid, status;
  int got;
  while ((got = nvme_io_poll(dp->ctrl, &cid, &status)) == 1) {
    tracked_request* t = &w->tracked[w->cid_request[cid] % NT_DP_RING_ENTRIES];
    t->commands--;
    if (status != 0 && t->status == NT_DP_OK) t->status = NT_DP_E_IO;
    reaped++;
  }
  uint64_t now = now_ms();
  for (unsigned c = 0; c < NVME_IO_SLOTS; c++) {
    if ((dp->ctrl->slot_busy & (1u << c)) && now - w->cid_started_ms[c] > COMMAND_DEADLINE_MS) dp->ctrl->fatal = 1;
  }
  return reaped;
}

/** Posts completions in request order while the oldest is finished and the client has room; returns how many. */
static int post_completions(worker* w) {
  int posted = 0;
  while (w->posted != w->taken) {
    tracked_request* t = &w->tracked[w->posted % NT_DP_RING_ENTRIES];
    int finished = t->done || (t->commands == 0 && (t->status != NT_DP_OK || t->submitted == t->request.bytes));
    if (!finished) break;
    if (t->commands != 0) break;  // a failed request's other commands still write into its slot
    uint32_t head = __atomic_load_n(&w->header->completion_head, __ATOMIC_ACQUIRE);
    if (w->posted - head >= NT_DP_RING_ENTRIES) break;  // the client has not taken enough completions
    nt_dp_completion completion = {.tag = t->request.tag, .status = t->status, .bytes = t->status == NT_DP_OK ? t->request.bytes : 0};
    if (t->status == NT_DP_OK) {
      __atomic_fetch_add(&w->dp->stats.bytes_read, t->request.bytes, __ATOMIC_RELAXED);
    } else if (!t->done) {
      __atomic_fetch_add(&w->dp->stats.failed, 1, __ATOMIC_RELAXED);
    }
    memcpy(&w->header->completions[w->posted % NT_DP_RING_ENTRIES], &completion, sizeof completion);
    w->posted++;
    __atomic_store_n(&w->header->completion_tail, w->posted, __ATOMIC_RELEASE);
    posted++;
  }
  if (posted > 0) futex_wake(&w->header->completion_tail);
  return posted;
}

static int peer_exited(const dataplane* dp) {
  struct pollfd p = {.fd = dp->pidfd, .events = POLLIN};
  return poll(&p, 1, 0) == 1;
}

/** After the controller failed: every request taken and not finished fails with NT_DP_E_FATAL. */
static void fail_everything(worker* w) {
  for (uint32_t index = w->posted; index != w->taken; index++) {
    tracked_request* t = &w->tracked[index % NT_DP_RING_ENTRIES];
    if (t->status == NT_DP_OK) t->status = NT_DP_E_FATAL;
    t->commands = 0;
  }
}

/**
 * Waits for the controller while commands are in flight: on its MSI-X eventfd when it has one
 * (counted in stats.interrupts), else a short sleep between polls. The caller reads the CQ after
 * either: an interrupt only wakes the thread.
 */
static void wait_for_completions(dataplane* dp, unsigned idle) {
  const int efd = dp->ctrl->vfio.irq_eventfd;
  if (efd >= 0) {
    struct pollfd p = {.fd = efd, .events = POLLIN};
    uint64_t count = 0;
    if (poll(&p, 1, IRQ_WAIT_MS) == 1 && read(efd, &count, sizeof count) == (ssize_t)sizeof count) {
      __atomic_fetch_add(&dp->stats.interrupts, count, __ATOMIC_RELAXED);
    }
    return;
  }
  struct timespec t = {0, idle < 64 ? 2000 : 50000};
  nanosleep(&t, NULL);
}

static void* run(void* arg) {
  worker* w = arg;
  dataplane* dp = w->dp;
  int32_t code = NT_DP_OK;
  for (unsigned idle = 0;;) {
    if (__atomic_load_n(&dp->stop_requested, __ATOMIC_RELAXED)) break;
    if (__atomic_load_n(&w->header->session_state, __ATOMIC_ACQUIRE) == NT_DP_STATE_CLIENT_CLOSED) break;
    nt_fail fail = {0};
    if (dp->ctrl->fatal || (idle % 256 == 255 && nvme_controller_check(dp->ctrl, &fail) != 0)) {
      fail_everything(w);
      post_completions(w);
      code = NT_DP_E_FATAL;
      break;
    }
    int work = reap_commands(w) + post_completions(w);
    while (take_request(w)) work++;
    work += submit_commands(w) + post_completions(w);
    if (work > 0) {
      idle = 0;
      continue;
    }
    idle++;
    if (dp->ctrl->slot_busy != 0) {
      wait_for_completions(dp, idle);
    } else {
      if (peer_exited(dp)) break;
      futex_wait(&w->header->request_tail, w->taken, IDLE_WAIT_MS);
    }
  }
  // Quiesce: no buffer may be unmapped while the controller can still write into it.
  for (uint64_t deadline = now_ms() + QUIESCE_MS; dp->ctrl->slot_busy != 0 && !dp->ctrl->fatal;) {
    reap_commands(w);
    if (now_ms() > deadline) dp->ctrl->fatal = 1;
  }
  if (dp->stop_code == NT_DP_OK) dp->stop_code = code;
  // Not running before the client can see STOPPED: a client that reopens at once must not find it busy.
  __atomic_store_n(&dp->running, 0, __ATOMIC_RELEASE);
  nt_dp_header* header = w->header;
  free(w);
  __atomic_store_n(&header->stop_code, dp->stop_code, __ATOMIC_RELAXED);
  __atomic_store_n(&header->session_state, NT_DP_STATE_STOPPED, __ATOMIC_RELEASE);
  futex_wake(&header->completion_tail);
  futex_wake(&header->session_state);
  return NULL;
}

/** The memfd: header page then the slots, sealed so neither side can shrink or grow it under the other. */
static int create_memfd(dataplane* dp, nt_fail* fail) {
  dp->memfd = memfd_create("nt-dataplane", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (dp->memfd < 0) return nt_failf(fail, "NT_E_IO", "memfd_create: %s", strerror(errno));
  dp->map_bytes = NT_DP_HEADER_BYTES + (size_t)dp->config.slot_count * dp->config.slot_bytes;
  if (ftruncate(dp->memfd, (off_t)dp->map_bytes) != 0) return nt_failf(fail, "NT_E_OUT_OF_MEMORY", "sizing the data plane's memfd to %zu bytes: %s", dp->map_bytes, strerror(errno));
  if (fcntl(dp->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) return nt_failf(fail, "NT_E_IO", "sealing the memfd: %s", strerror(errno));
  void* map = mmap(NULL, dp->map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, dp->memfd, 0);
  if (map == MAP_FAILED) return nt_failf(fail, "NT_E_OUT_OF_MEMORY", "mapping %zu data plane bytes: %s", dp->map_bytes, strerror(errno));
  dp->map = map;
  return 0;
}

static void write_geometry(dataplane* dp) {
  nt_dp_header* header = (nt_dp_header*)dp->map;
  memset(header, 0, sizeof *header);
  header->magic = NT_DP_MAGIC;
  header->version = NT_DP_VERSION;
  header->header_bytes = NT_DP_HEADER_BYTES;
  header->image_bytes = dp->config.image_bytes;
  header->lba_bytes = dp->ctrl->lba_bytes;
  header->slot_count = dp->config.slot_count;
  header->slot_bytes = dp->config.slot_bytes;
  header->slots_offset = NT_DP_HEADER_BYTES;
  header->ring_entries = NT_DP_RING_ENTRIES;
  header->max_request_bytes = dp->max_request_bytes;
}

static int check_config(const dataplane_config* config, const nvme_controller* ctrl, nt_fail* fail) {
  if (config->slot_count < 1 || config->slot_count > 64 || config->slot_bytes == 0 || config->slot_bytes % 4096 != 0 || config->slot_bytes > (1ull << 30)) {
    return nt_failf(fail, "NT_E_BAD_REQUEST", "%u slots of %llu bytes: 1..64 slots, each a multiple of 4096 up to 1 GiB", config->slot_count, (unsigned long long)config->slot_bytes);
  }
  if (config->image_bytes == 0 || config->image_lba >= ctrl->lba_count ||
      (config->image_bytes + ctrl->lba_bytes - 1) / ctrl->lba_bytes > ctrl->lba_count - config->image_lba) {
    return nt_failf(fail, "NT_E_BAD_REQUEST", "an image of %llu bytes at block %llu does not fit the namespace", (unsigned long long)config->image_bytes, (unsigned long long)config->image_lba);
  }
  return 0;
}

int dataplane_start(dataplane* dp, nvme_controller* ctrl, const dataplane_config* config, int* memfd_out, nt_fail* fail) {
  memset(dp, 0, sizeof *dp);
  dp->memfd = dp->pidfd = -1;
  dp->ctrl = ctrl;
  dp->config = *config;
  if (ctrl->fatal || !ctrl->io_queue_created) return nt_failf(fail, "NT_E_IO", "the NVMe controller has failed; restore the device");
  if (check_config(config, ctrl, fail) != 0) return -1;
  dp->image_limit = (config->image_bytes + ctrl->lba_bytes - 1) / ctrl->lba_bytes * ctrl->lba_bytes;
  // A request fills at most one slot, and never more than 32 commands' worth (the I/O queue's slots).
  uint64_t max_request = (uint64_t)ctrl->max_transfer_bytes * NVME_IO_SLOTS;
  dp->max_request_bytes = (uint32_t)(max_request < config->slot_bytes ? max_request : config->slot_bytes);
  dp->pidfd = (int)syscall(SYS_pidfd_open, config->peer_pid, 0);
  if (dp->pidfd < 0) return nt_failf(fail, "NT_E_IO", "pidfd_open(%d) of the client: %s", config->peer_pid, strerror(errno));
  worker* w = calloc(1, sizeof *w);
  if (w == NULL) {
    dataplane_stop(dp);
    return nt_failf(fail, "NT_E_OUT_OF_MEMORY", "data plane worker");
  }
  if (create_memfd(dp, fail) != 0 ||
      vfio_dma_map(&ctrl->vfio, dp->map + NT_DP_HEADER_BYTES, (size_t)config->slot_count * config->slot_bytes, &dp->slots, fail) != 0) {
    free(w);
    dataplane_stop(dp);
    return -1;
  }
  write_geometry(dp);
  w->dp = dp;
  w->header = (nt_dp_header*)dp->map;
  dp->running = 1;
  if (pthread_create(&dp->thread, NULL, run, w) != 0) {
    dp->running = 0;
    free(w);
    dataplane_stop(dp);
    return nt_failf(fail, "NT_E_IO", "starting the data plane thread: %s", strerror(errno));
  }
  dp->thread_started = 1;
  dp->memfd_handed = 1;
  *memfd_out = dp->memfd;
  return 0;
}

void dataplane_stop(dataplane* dp) {
  if (dp->thread_started) {
    __atomic_store_n(&dp->stop_requested, 1, __ATOMIC_RELAXED);
    futex_wake(&((nt_dp_header*)dp->map)->request_tail);
    pthread_join(dp->thread, NULL);
    dp->thread_started = 0;
  }
  // A controller that may still write into the slots is disabled before they are unmapped.
  if (dp->ctrl != NULL && dp->ctrl->fatal) nvme_controller_halt(dp->ctrl);
  if (dp->ctrl != NULL) vfio_dma_free(&dp->ctrl->vfio, &dp->slots);
  if (dp->map != NULL) munmap(dp->map, dp->map_bytes);
  dp->map = NULL;
  if (dp->pidfd >= 0) close(dp->pidfd);
  dp->pidfd = -1;
  if (dp->memfd >= 0 && !dp->memfd_handed) close(dp->memfd);
  dp->memfd = -1;
  dp->ctrl = NULL;
}
