// The helper's user-space NVMe driver: one controller owned through VFIO, brought up from reset
// (disable → admin queue → enable, CAP.TO honoured), identified (serial re-checked, LBA format),
// one I/O queue pair for READs with PRP entries and lists (its CQ raising MSI-X vector 0 into an
// eventfd when VFIO can route it; completions are read from the CQ either way), and shut down (CC.SHN) before
// the device goes back to the kernel. Every wait has a deadline; a controller fatal status
// (CSTS.CFS) fails the call with NT_E_IO and leaves the device to vfio-pci's reset on close.
#pragma once
#include <stdint.h>

#include "nvme_queue.h"
#include "vfio_device.h"

/** Most commands in flight on the I/O queue (its depth is one more). */
#define NVME_IO_SLOTS 32u

typedef struct {
  vfio_device vfio;
  uint64_t cap;
  uint32_t doorbell_stride;
  uint32_t ready_timeout_ms;   // CAP.TO × 500 ms
  nvme_queue admin, io;
  dma_region scratch;          // one page: Identify data
  dma_region prp_lists;        // one page per I/O slot
  uint32_t slot_busy;          // bit i: I/O slot (command id) i is in flight
  uint16_t admin_cid;          // the next admin command's id
  char serial[21], model[41], firmware[9];
  uint32_t nsid;
  uint32_t lba_bytes;
  uint64_t lba_count;
  uint32_t max_transfer_bytes; // per command: MDTS, at most one PRP list page's worth
  int io_queue_created;
  int fatal;                   // CSTS.CFS seen, or the device stopped answering: no more commands
} nvme_controller;

/**
 * Opens the controller `bdf` in `group_path` and brings it up; `expected_serial` must equal the
 * serial Identify reports (NT_E_IDENTITY_MISMATCH otherwise: the device in the slot is not the
 * allowlisted one). On failure nothing stays open.
 */
int nvme_controller_open(nvme_controller* ctrl, const char* group_path, const char* bdf, const char* expected_serial, nt_fail* fail);

/**
 * Reads `blocks` logical blocks from `lba` of the namespace into `region` at `offset` (4-byte
 * aligned; the region mapped for DMA), split into commands of at most max_transfer_bytes, up to
 * NVME_IO_SLOTS in flight. Blocks until all complete, one fails (NT_E_IO with its status), the
 * controller fails, or a deadline passes (NT_E_TIMEOUT).
 */
int nvme_controller_read(nvme_controller* ctrl, uint64_t lba, uint64_t blocks, dma_region* region, uint64_t offset, nt_fail* fail);

/** Submits one READ of `bytes` (whole blocks, at most max_transfer_bytes) at `lba` into `iova` as I/O slot (command id) `slot`. */
int nvme_io_submit_read(nvme_controller* ctrl, unsigned slot, uint64_t lba, uint64_t bytes, uint64_t iova, nt_fail* fail);

/** A free I/O slot, or NVME_IO_SLOTS when all are in flight. */
unsigned nvme_io_free_slot(const nvme_controller* ctrl);

/** Takes one I/O completion if there is one: 1 with its command id and status (0 = success), 0 when none, -1 for a completion nothing waits for (the controller is marked failed). */
int nvme_io_poll(nvme_controller* ctrl, uint16_t* cid, uint16_t* status);

/** NT_E_IO (and the controller marked failed) when CSTS shows a fatal status or the device is gone. */
int nvme_controller_check(nvme_controller* ctrl, nt_fail* fail);

/** Disables the controller (CC.EN = 0) so it touches no memory any more, and marks it failed: before buffers it may still write are unmapped. */
void nvme_controller_halt(nvme_controller* ctrl);

/** Deletes the I/O queues, shuts the controller down (CC.SHN, then CC.EN = 0) and closes VFIO; safe after any failure. */
void nvme_controller_close(nvme_controller* ctrl);
