// The VFIO data plane of one client session: a sealed memfd (ring header page + staging slots,
// protocol/helper/dataplaneRing.h) whose slots are mapped for the controller's DMA, and a thread
// that takes the client's requests from the ring, validates them against the placed image and the
// slots, reads them with NVMe READs and posts completions. The session ends when the client says
// so, when the client process exits (pidfd), when the controller fails, or on dataplane_stop;
// in-flight commands are waited out before the slots are unmapped.
#pragma once
#include <pthread.h>
#include <stdint.h>

#include "nvme_controller.h"

/** What the helper decided for the session: image geometry from the header it read, slot sizes from its config. */
typedef struct {
  uint64_t image_lba;     // the GGUF's first logical block on the namespace
  uint64_t image_bytes;   // the GGUF's size
  uint32_t slot_count;    // 1..64
  uint64_t slot_bytes;    // multiple of 4096, at most 1 GiB
  int peer_pid;           // the client process; its exit ends the session
} dataplane_config;

/** Counters the thread keeps (read while it runs: relaxed atomics). */
typedef struct {
  uint64_t requests;
  uint64_t refused;
  uint64_t bytes_read;
  uint64_t failed;
  uint64_t interrupts;    // MSI-X wake-ups the thread took (0 when completions are polled)
} dataplane_stats;

typedef struct {
  nvme_controller* ctrl;  // borrowed: the caller keeps it open until dataplane_stop returns
  dataplane_config config;
  uint64_t image_limit;   // image_bytes rounded up to whole blocks
  uint32_t max_request_bytes;
  int memfd;              // handed to the caller by dataplane_start (then not closed here)
  int memfd_handed;
  uint8_t* map;
  size_t map_bytes;
  dma_region slots;
  int pidfd;
  pthread_t thread;
  int thread_started;
  int stop_requested;     // atomic
  int running;            // atomic: 0 once the thread has ended
  int32_t stop_code;      // why it ended (NT_DP_*), once not running
  dataplane_stats stats;
} dataplane;

/** Creates the memfd, maps the slots for DMA and starts the thread; on failure nothing stays. *memfd_out: the caller's to pass and close. */
int dataplane_start(dataplane* dp, nvme_controller* ctrl, const dataplane_config* config, int* memfd_out, nt_fail* fail);

/** Stops the thread (after in-flight commands complete, bounded), unmaps the slots and the memfd. Idempotent. */
void dataplane_stop(dataplane* dp);
