// One NVMe submission/completion queue pair in DMA memory, driven by polling: submit entries,
// ring the tail doorbell, reap completions by their phase bit, ring the head doorbell. Used by one
// thread at a time (the admin pair by the controller's owner, an I/O pair by the data-plane thread).
#pragma once
#include <stdint.h>

#include "nvme_regs.h"
#include "vfio_device.h"

typedef struct {
  uint16_t id;        // 0: admin
  uint16_t depth;     // entries per queue (SQ and CQ alike)
  dma_region sq, cq;
  volatile uint32_t* sq_doorbell;
  volatile uint32_t* cq_doorbell;
  uint16_t sq_tail;
  uint16_t cq_head;
  uint16_t in_flight;
  uint8_t phase;      // the phase bit a new completion carries
} nvme_queue;

/** Allocates and zeroes both rings (`depth` ≤ 4096/64 = 64 entries per 4 KiB page; at most 256 here). */
int nvme_queue_init(nvme_queue* queue, vfio_device* vfio, uint16_t id, uint16_t depth, uint32_t doorbell_stride, nt_fail* fail);

void nvme_queue_free(nvme_queue* queue, vfio_device* vfio);

/** Whether another entry fits (one slot stays empty: tail == head means empty). */
int nvme_queue_has_room(const nvme_queue* queue);

/** Copies `command` in with command id `cid` (unique among those in flight: the caller's slot) and rings the tail doorbell. */
void nvme_queue_submit(nvme_queue* queue, nvme_sqe* command, uint16_t cid);

/** Takes the next completion if one is there: 1 and *out filled, 0 when none yet. */
int nvme_queue_reap(nvme_queue* queue, nvme_cqe* out);

/** The status field of a completion without its phase bit: 0 means success. */
static inline uint16_t nvme_cqe_status(const nvme_cqe* cqe) {
  return (uint16_t)(cqe->status >> 1);
}
