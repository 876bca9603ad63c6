// NVMe queue pair mechanics (NVMe base spec, "Queue Mechanism"): the host owns the SQ tail and
// the CQ head, the controller the others; a completion is new when its phase bit equals the
// phase the host expects, which flips each time the CQ head wraps.
#include <string.h>

#include "nvme_queue.h"

#define PAGE 4096u

static size_t ring_bytes(uint16_t depth, size_t entry) {
  size_t bytes = (size_t)depth * entry;
  return (bytes + PAGE - 1) / PAGE * PAGE;
}

int nvme_queue_init(nvme_queue* queue, vfio_device* vfio, uint16_t id, uint16_t depth, uint32_t doorbell_stride, nt_fail* fail) {
  memset(queue, 0, sizeof *queue);
  if (depth < 2 || depth > 256) return nt_failf(fail, "NT_E_INTERNAL", "queue depth %u is outside 2..256", depth);
  queue->id = id;
  queue->depth = depth;
  queue->phase = 1;
  if (vfio_dma_alloc(vfio, ring_bytes(depth, sizeof(nvme_sqe)), &queue->sq, fail) != 0) return -1;
  if (vfio_dma_alloc(vfio, ring_bytes(depth, sizeof(nvme_cqe)), &queue->cq, fail) != 0) {
    vfio_dma_free(vfio, &queue->sq);
    return -1;
  }
  size_t sq_bell = NVME_REG_DOORBELLS + (2u * id) * doorbell_stride;
  size_t cq_bell = NVME_REG_DOORBELLS + (2u * id + 1) * doorbell_stride;
  if (cq_bell + 4 > vfio->bar0_mapped) {
    nvme_queue_free(queue, vfio);
    return nt_failf(fail, "NT_E_UNSUPPORTED", "queue %u's doorbells lie past the %zu mapped bytes of BAR0", id, vfio->bar0_mapped);
  }
  queue->sq_doorbell = (volatile uint32_t*)(vfio->bar0 + sq_bell);
  queue->cq_doorbell = (volatile uint32_t*)(vfio->bar0 + cq_bell);
  return 0;
}

void nvme_queue_free(nvme_queue* queue, vfio_device* vfio) {
  vfio_dma_free(vfio, &queue->sq);
  vfio_dma_free(vfio, &queue->cq);
}

int nvme_queue_has_room(const nvme_queue* queue) {
  return queue->in_flight + 1 < queue->depth;
}

void nvme_queue_submit(nvme_queue* queue, nvme_sqe* command, uint16_t cid) {
  command->cdw0 = (command->cdw0 & 0xffffu) | ((uint32_t)cid << 16);
  memcpy((nvme_sqe*)queue->sq.va + queue->sq_tail, command, sizeof *command);
  queue->sq_tail = (uint16_t)((queue->sq_tail + 1) % queue->depth);
  queue->in_flight++;
  // The entry must be in memory before the controller can see the new tail.
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  *queue->sq_doorbell = queue->sq_tail;
}

int nvme_queue_reap(nvme_queue* queue, nvme_cqe* out) {
  volatile nvme_cqe* entry = (volatile nvme_cqe*)queue->cq.va + queue->cq_head;
  if ((entry->status & 1u) != queue->phase) return 0;
  // Read the rest of the entry only after its phase bit said it is complete.
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  memcpy(out, (const void*)entry, sizeof *out);
  queue->cq_head = (uint16_t)((queue->cq_head + 1) % queue->depth);
  if (queue->cq_head == 0) queue->phase ^= 1u;
  if (queue->in_flight > 0) queue->in_flight--;
  *queue->cq_doorbell = queue->cq_head;
  return 1;
}
