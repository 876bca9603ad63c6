// Controller bring-up and shutdown follow the NVMe base spec's "Controller Initialization" and
// "Shutdown Processing"; commands are polled (the I/O CQ's MSI-X only wakes the data plane's thread). Register facts: nvme_regs.h.
#define _GNU_SOURCE
#include <string.h>
#include <time.h>

#include "nvme_controller.h"
#include "nvme_prp.h"

#define ADMIN_DEPTH 16u
/** Per command; Linux's defaults are 60 s (admin) and 30 s (I/O). A TCG guest is slow, a real drive far faster. */
#define COMMAND_TIMEOUT_MS 30000u
/** CC.SHN until CSTS.SHST says complete (Linux's default shutdown_timeout is 5 s; RTD3E may say more). */
#define SHUTDOWN_TIMEOUT_MS 10000u
/** Per command at most this much, so one PRP list page always suffices. */
#define MAX_TRANSFER_CAP (1u << 20)

static uint64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static void pause_briefly(unsigned spins) {
  if (spins < 64) return;
  struct timespec t = {0, spins < 4096 ? 1000 : 50000};
  nanosleep(&t, NULL);
}

static uint32_t read32(nvme_controller* ctrl, uint32_t offset) {
  return *(volatile uint32_t*)(ctrl->vfio.bar0 + offset);
}

static void write32(nvme_controller* ctrl, uint32_t offset, uint32_t value) {
  *(volatile uint32_t*)(ctrl->vfio.bar0 + offset) = value;
}

static uint64_t read64(nvme_controller* ctrl, uint32_t offset) {
  uint64_t low = read32(ctrl, offset);
  return low | (uint64_t)read32(ctrl, offset + 4) << 32;
}

static void write64(nvme_controller* ctrl, uint32_t offset, uint64_t value) {
  write32(ctrl, offset, (uint32_t)value);
  write32(ctrl, offset + 4, (uint32_t)(value >> 32));
}

/** NT_E_IO when CSTS shows a fatal status or a device gone from the bus; marks the controller unusable. */
static int check_fatal(nvme_controller* ctrl, nt_fail* fail) {
  uint32_t csts = read32(ctrl, NVME_REG_CSTS);
  if (csts == NVME_CSTS_GONE) {
    ctrl->fatal = 1;
    return nt_failf(fail, "NT_E_IO", "the NVMe controller does not answer (CSTS reads all ones): removed or reset");
  }
  if (csts & NVME_CSTS_CFS) {
    ctrl->fatal = 1;
    return nt_failf(fail, "NT_E_IO", "the NVMe controller reports a fatal status (CSTS.CFS); restore the device to reset it");
  }
  return 0;
}

/** Waits until (CSTS & mask) == want, within timeout_ms; `what` names the step for the error. */
static int wait_csts(nvme_controller* ctrl, uint32_t mask, uint32_t want, uint32_t timeout_ms, const char* what, nt_fail* fail) {
  uint64_t deadline = now_ms() + timeout_ms;
  for (unsigned spins = 0;; spins++) {
    uint32_t csts = read32(ctrl, NVME_REG_CSTS);
    if (csts != NVME_CSTS_GONE && (csts & mask) == want) return 0;
    // While enabling, a fatal status ends the wait early; shutting down, it just means "reset it".
    if (csts == NVME_CSTS_GONE || (want != 0 && (csts & NVME_CSTS_CFS))) return check_fatal(ctrl, fail);
    if (now_ms() > deadline) return nt_failf(fail, "NT_E_TIMEOUT", "%s: CSTS 0x%x after %u ms", what, csts, timeout_ms);
    pause_briefly(spins);
  }
}

/** Polls `queue` for the completion of command `cid` (others completed meanwhile are an internal error here). */
static int wait_completion(nvme_controller* ctrl, nvme_queue* queue, nvme_cqe* cqe, nt_fail* fail) {
  uint64_t deadline = now_ms() + COMMAND_TIMEOUT_MS;
  for (unsigned spins = 0;; spins++) {
    if (nvme_queue_reap(queue, cqe)) return 0;
    if (spins % 1024 == 1023 && check_fatal(ctrl, fail) != 0) return -1;
    if (now_ms() > deadline) {
      check_fatal(ctrl, fail);
      ctrl->fatal = 1;  // a command the controller still owns: no more commands on this queue
      return nt_failf(fail, "NT_E_TIMEOUT", "no completion on NVMe queue %u within %u ms", queue->id, COMMAND_TIMEOUT_MS);
    }
    pause_briefly(spins);
  }
}

/** Runs one admin command to completion; a non-zero status is NT_E_IO naming `what`. */
static int admin_command(nvme_controller* ctrl, nvme_sqe* command, const char* what, nvme_cqe* result, nt_fail* fail) {
  if (ctrl->fatal) return nt_failf(fail, "NT_E_IO", "%s: the controller has failed", what);
  uint16_t cid = ctrl->admin_cid++;
  nvme_queue_submit(&ctrl->admin, command, cid);
  nvme_cqe cqe;
  if (wait_completion(ctrl, &ctrl->admin, &cqe, fail) != 0) return -1;
  if (cqe.cid != cid) return nt_failf(fail, "NT_E_IO", "%s: completion for command %u, expected %u", what, cqe.cid, cid);
  if (nvme_cqe_status(&cqe) != 0) return nt_failf(fail, "NT_E_IO", "%s failed: NVMe status 0x%x", what, nvme_cqe_status(&cqe));
  if (result != NULL) *result = cqe;
  return 0;
}

static int identify(nvme_controller* ctrl, uint32_t cns, uint32_t nsid, const char* what, nt_fail* fail) {
  memset(ctrl->scratch.va, 0, NVME_PAGE);
  nvme_sqe command = {.cdw0 = NVME_ADMIN_IDENTIFY, .nsid = nsid, .prp1 = ctrl->scratch.iova, .cdw10 = cns};
  return admin_command(ctrl, &command, what, NULL, fail);
}

/** Copies an ASCII, space-padded Identify field and trims it. */
static void copy_trimmed(char* out, const uint8_t* field, size_t length) {
  memcpy(out, field, length);
  out[length] = 0;
  for (size_t end = length; end > 0 && (out[end - 1] == ' ' || out[end - 1] == 0); end--) out[end - 1] = 0;
}

/** Disable (wait RDY = 0), then the admin queue's registers, then enable (wait RDY = 1): "Controller Initialization". */
static int reset_and_enable(nvme_controller* ctrl, nt_fail* fail) {
  if (read32(ctrl, NVME_REG_CC) & NVME_CC_EN) write32(ctrl, NVME_REG_CC, 0);
  if (wait_csts(ctrl, NVME_CSTS_RDY, 0, ctrl->ready_timeout_ms, "disabling the controller", fail) != 0) return -1;
  // Polling only: mask the pin interrupt (MSI-X stays disabled: vfio-pci enables none until asked).
  write32(ctrl, NVME_REG_INTMS, 0xffffffffu);
  if (nvme_queue_init(&ctrl->admin, &ctrl->vfio, 0, ADMIN_DEPTH, ctrl->doorbell_stride, fail) != 0) return -1;
  write32(ctrl, NVME_REG_AQA, ((ADMIN_DEPTH - 1) << 16) | (ADMIN_DEPTH - 1));
  write64(ctrl, NVME_REG_ASQ, ctrl->admin.sq.iova);
  write64(ctrl, NVME_REG_ACQ, ctrl->admin.cq.iova);
  write32(ctrl, NVME_REG_CC, NVME_CC_IOSQES | NVME_CC_IOCQES | NVME_CC_AMS_RR | NVME_CC_MPS_4K | NVME_CC_CSS_NVM | NVME_CC_EN);
  return wait_csts(ctrl, NVME_CSTS_RDY, NVME_CSTS_RDY, ctrl->ready_timeout_ms, "enabling the controller", fail);
}

static int identify_controller(nvme_controller* ctrl, const char* expected_serial, nt_fail* fail) {
  if (identify(ctrl, NVME_CNS_CONTROLLER, 0, "Identify Controller", fail) != 0) return -1;
  const uint8_t* data = ctrl->scratch.va;
  copy_trimmed(ctrl->serial, data + NVME_IDCTRL_SN, 20);
  copy_trimmed(ctrl->model, data + NVME_IDCTRL_MN, 40);
  copy_trimmed(ctrl->firmware, data + NVME_IDCTRL_FR, 8);
  if (strcmp(ctrl->serial, expected_serial) != 0) {
    return nt_failf(fail, "NT_E_IDENTITY_MISMATCH", "the controller's serial is \"%s\", the allowlist says \"%s\"", ctrl->serial, expected_serial);
  }
  uint64_t limit = MAX_TRANSFER_CAP;
  uint8_t mdts = data[NVME_IDCTRL_MDTS];
  if (mdts != 0 && mdts < 20) {
    uint64_t mdts_bytes = (uint64_t)NVME_PAGE << NVME_CAP_MPSMIN(ctrl->cap) << mdts;
    if (mdts_bytes < limit) limit = mdts_bytes;
  }
  ctrl->max_transfer_bytes = (uint32_t)limit;
  return 0;
}

/** The first active namespace, its size and LBA format (no metadata; 512 B to 4 KiB blocks). */
static int identify_namespace(nvme_controller* ctrl, nt_fail* fail) {
  if (identify(ctrl, NVME_CNS_ACTIVE_NAMESPACES, 0, "Identify active namespaces", fail) != 0) return -1;
  ctrl->nsid = *(const uint32_t*)ctrl->scratch.va;
  if (ctrl->nsid == 0) return nt_failf(fail, "NT_E_NO_DEVICE", "the controller has no active namespace");
  if (identify(ctrl, NVME_CNS_NAMESPACE, ctrl->nsid, "Identify Namespace", fail) != 0) return -1;
  const uint8_t* data = ctrl->scratch.va;
  memcpy(&ctrl->lba_count, data + NVME_IDNS_NSZE, sizeof ctrl->lba_count);
  uint8_t flbas = data[NVME_IDNS_FLBAS];
  uint32_t format = (flbas & 0xfu) | ((flbas >> 5) & 0x3u) << 4;
  if (format > data[NVME_IDNS_NLBAF]) return nt_failf(fail, "NT_E_UNSUPPORTED", "namespace %u uses LBA format %u of %u", ctrl->nsid, format, data[NVME_IDNS_NLBAF] + 1u);
  uint32_t lbaf;
  memcpy(&lbaf, data + NVME_IDNS_LBAF + 4 * format, sizeof lbaf);
  uint32_t metadata = lbaf & 0xffffu, lbads = (lbaf >> 16) & 0xffu;
  if (lbads < 9 || lbads > 12 || metadata != 0) {
    return nt_failf(fail, "NT_E_UNSUPPORTED", "namespace %u's LBA format (2^%u-byte blocks, %u metadata bytes) is not 512..4096 bytes without metadata", ctrl->nsid, lbads, metadata);
  }
  ctrl->lba_bytes = 1u << lbads;
  if (ctrl->lba_count == 0) return nt_failf(fail, "NT_E_NO_DEVICE", "namespace %u is empty", ctrl->nsid);
  return 0;
}

/**
 * Asks for one I/O queue pair, then creates its CQ and its SQ. The CQ raises MSI-X vector 0
 * (an eventfd the data plane sleeps on) when VFIO can route it; else it has no interrupt and
 * completions are polled. Either way completions are read from the CQ: the interrupt only wakes.
 */
static int create_io_queue(nvme_controller* ctrl, nt_fail* fail) {
  nvme_sqe features = {.cdw0 = NVME_ADMIN_SET_FEATURES, .cdw10 = NVME_FEATURE_NUM_QUEUES, .cdw11 = 0};
  if (admin_command(ctrl, &features, "Set Features (Number of Queues)", NULL, fail) != 0) return -1;
  uint32_t depth = NVME_IO_SLOTS + 1;
  if (NVME_CAP_MQES(ctrl->cap) + 1 < depth) depth = NVME_CAP_MQES(ctrl->cap) + 1;
  if (nvme_queue_init(&ctrl->io, &ctrl->vfio, 1, (uint16_t)depth, ctrl->doorbell_stride, fail) != 0) return -1;
  uint32_t size_and_id = (depth - 1) << 16 | 1u;
  nt_fail no_msix = {0};
  const int interrupts = vfio_msix_enable(&ctrl->vfio, &no_msix) == 0;
  // cdw11: PC, IEN (bit 1) with vector 0 (bits 31:16).
  nvme_sqe cq = {.cdw0 = NVME_ADMIN_CREATE_CQ, .prp1 = ctrl->io.cq.iova, .cdw10 = size_and_id, .cdw11 = 1u | (interrupts ? 2u : 0u)};
  if (admin_command(ctrl, &cq, "Create I/O Completion Queue", NULL, fail) != 0) return -1;
  nvme_sqe sq = {.cdw0 = NVME_ADMIN_CREATE_SQ, .prp1 = ctrl->io.sq.iova, .cdw10 = size_and_id, .cdw11 = 1u << 16 | 1u /* CQ 1, PC */};
  if (admin_command(ctrl, &sq, "Create I/O Submission Queue", NULL, fail) != 0) {
    nvme_sqe delete_cq = {.cdw0 = NVME_ADMIN_DELETE_CQ, .cdw10 = 1};
    nt_fail ignored = {0};
    admin_command(ctrl, &delete_cq, "Delete I/O Completion Queue", NULL, &ignored);
    return -1;
  }
  ctrl->io_queue_created = 1;
  return 0;
}

static int bring_up(nvme_controller* ctrl, const char* expected_serial, nt_fail* fail) {
  ctrl->cap = read64(ctrl, NVME_REG_CAP);
  if (ctrl->cap == ~0ull) return nt_failf(fail, "NT_E_IO", "BAR0 reads all ones: the controller does not answer");
  if (!NVME_CAP_CSS_NVM(ctrl->cap)) return nt_failf(fail, "NT_E_UNSUPPORTED", "the controller does not support the NVM command set");
  if (NVME_CAP_MPSMIN(ctrl->cap) != 0) return nt_failf(fail, "NT_E_UNSUPPORTED", "the controller's smallest memory page is over 4 KiB");
  ctrl->doorbell_stride = 4u << NVME_CAP_DSTRD(ctrl->cap);
  uint32_t to = NVME_CAP_TO(ctrl->cap);
  ctrl->ready_timeout_ms = (to == 0 ? 1 : to) * 500u;
  if (reset_and_enable(ctrl, fail) != 0) return -1;
  if (vfio_dma_alloc(&ctrl->vfio, NVME_PAGE, &ctrl->scratch, fail) != 0) return -1;
  if (identify_controller(ctrl, expected_serial, fail) != 0 || identify_namespace(ctrl, fail) != 0) return -1;
  if (vfio_dma_alloc(&ctrl->vfio, (size_t)NVME_IO_SLOTS * NVME_PAGE, &ctrl->prp_lists, fail) != 0) return -1;
  return create_io_queue(ctrl, fail);
}

int nvme_controller_open(nvme_controller* ctrl, const char* group_path, const char* bdf, const char* expected_serial, nt_fail* fail) {
  memset(ctrl, 0, sizeof *ctrl);
  // Registers and the first two queue pairs' doorbells at the smallest stride.
  if (vfio_device_open(&ctrl->vfio, group_path, bdf, NVME_REG_DOORBELLS + 16, fail) != 0) return -1;
  if (bring_up(ctrl, expected_serial, fail) != 0) {
    nvme_controller_close(ctrl);
    return -1;
  }
  return 0;
}

int nvme_io_submit_read(nvme_controller* ctrl, unsigned slot, uint64_t lba, uint64_t bytes, uint64_t iova, nt_fail* fail) {
  uint64_t* list = (uint64_t*)(ctrl->prp_lists.va + (size_t)slot * NVME_PAGE);
  nvme_sqe command = {.cdw0 = NVME_NVM_READ, .nsid = ctrl->nsid};
  if (nvme_prp_fill(iova, bytes, list, ctrl->prp_lists.iova + (uint64_t)slot * NVME_PAGE, &command.prp1, &command.prp2) != 0) {
    return nt_failf(fail, "NT_E_INTERNAL", "no PRP layout for %llu bytes at IOVA 0x%llx", (unsigned long long)bytes, (unsigned long long)iova);
  }
  command.cdw10 = (uint32_t)lba;
  command.cdw11 = (uint32_t)(lba >> 32);
  command.cdw12 = (uint32_t)(bytes / ctrl->lba_bytes - 1);  // NLB is 0-based
  ctrl->slot_busy |= 1u << slot;
  nvme_queue_submit(&ctrl->io, &command, (uint16_t)slot);
  return 0;
}

/** Waits for one I/O completion and frees its slot; a failed status is NT_E_IO. */
static int reap_read(nvme_controller* ctrl, nt_fail* fail) {
  nvme_cqe cqe;
  if (wait_completion(ctrl, &ctrl->io, &cqe, fail) != 0) return -1;
  if (cqe.cid >= NVME_IO_SLOTS || !(ctrl->slot_busy & (1u << cqe.cid))) {
    ctrl->fatal = 1;
    return nt_failf(fail, "NT_E_IO", "a completion for command %u, which is not in flight", cqe.cid);
  }
  ctrl->slot_busy &= ~(1u << cqe.cid);
  if (nvme_cqe_status(&cqe) != 0) return nt_failf(fail, "NT_E_IO", "an NVMe READ failed: status 0x%x", nvme_cqe_status(&cqe));
  return 0;
}

unsigned nvme_io_free_slot(const nvme_controller* ctrl) {
  if (!nvme_queue_has_room(&ctrl->io)) return NVME_IO_SLOTS;
  for (unsigned slot = 0; slot < NVME_IO_SLOTS; slot++) {
    if (!(ctrl->slot_busy & (1u << slot))) return slot;
  }
  return NVME_IO_SLOTS;
}

int nvme_io_poll(nvme_controller* ctrl, uint16_t* cid, uint16_t* status) {
  nvme_cqe cqe;
  if (!nvme_queue_reap(&ctrl->io, &cqe)) return 0;
  if (cqe.cid >= NVME_IO_SLOTS || !(ctrl->slot_busy & (1u << cqe.cid))) {
    ctrl->fatal = 1;
    return -1;
  }
  ctrl->slot_busy &= ~(1u << cqe.cid);
  *cid = cqe.cid;
  *status = nvme_cqe_status(&cqe);
  return 1;
}

int nvme_controller_check(nvme_controller* ctrl, nt_fail* fail) {
  return check_fatal(ctrl, fail);
}

int nvme_controller_read(nvme_controller* ctrl, uint64_t lba, uint64_t blocks, dma_region* region, uint64_t offset, nt_fail* fail) {
  if (ctrl->fatal || !ctrl->io_queue_created) return nt_failf(fail, "NT_E_IO", "the NVMe controller has failed; restore the device");
  if (blocks == 0 || lba + blocks < lba || lba + blocks > ctrl->lba_count) {
    return nt_failf(fail, "NT_E_BAD_REQUEST", "blocks [%llu, +%llu) are outside the namespace's %llu", (unsigned long long)lba, (unsigned long long)blocks, (unsigned long long)ctrl->lba_count);
  }
  uint64_t bytes = blocks * ctrl->lba_bytes;
  if (offset % 4 != 0 || offset > region->size || bytes > region->size - offset) {
    return nt_failf(fail, "NT_E_BAD_REQUEST", "%llu bytes at %llu do not fit the %zu-byte DMA buffer", (unsigned long long)bytes, (unsigned long long)offset, region->size);
  }
  uint64_t done = 0;
  int result = 0;
  while (result == 0 && (done < bytes || ctrl->slot_busy != 0)) {
    unsigned slot = nvme_io_free_slot(ctrl);
    if (done < bytes && slot < NVME_IO_SLOTS) {
      uint64_t chunk = bytes - done < ctrl->max_transfer_bytes ? bytes - done : ctrl->max_transfer_bytes;
      result = nvme_io_submit_read(ctrl, slot, lba + done / ctrl->lba_bytes, chunk, region->iova + offset + done, fail);
      done += chunk;
    } else {
      result = reap_read(ctrl, fail);
    }
  }
  // After a failed command, wait out the others (their buffers stay mapped until they finish).
  while (!ctrl->fatal && ctrl->slot_busy != 0) {
    nt_fail ignored = {0};
    if (reap_read(ctrl, &ignored) != 0 && ignored.code != NULL && strcmp(ignored.code, "NT_E_TIMEOUT") == 0) break;
  }
  return result;
}

void nvme_controller_halt(nvme_controller* ctrl) {
  if (ctrl->vfio.bar0 == NULL) return;
  ctrl->fatal = 1;
  write32(ctrl, NVME_REG_CC, 0);
  nt_fail ignored = {0};
  wait_csts(ctrl, NVME_CSTS_RDY, 0, ctrl->ready_timeout_ms ? ctrl->ready_timeout_ms : 500, "disabling the controller", &ignored);
}

/** Deletes the I/O SQ then CQ (spec order), if the controller still takes commands. */
static void delete_io_queue(nvme_controller* ctrl) {
  if (!ctrl->io_queue_created || ctrl->fatal) return;
  nt_fail ignored = {0};
  nvme_sqe sq = {.cdw0 = NVME_ADMIN_DELETE_SQ, .cdw10 = 1};
  nvme_sqe cq = {.cdw0 = NVME_ADMIN_DELETE_CQ, .cdw10 = 1};
  if (admin_command(ctrl, &sq, "Delete I/O Submission Queue", NULL, &ignored) == 0) {
    admin_command(ctrl, &cq, "Delete I/O Completion Queue", NULL, &ignored);
  }
  ctrl->io_queue_created = 0;
}

void nvme_controller_close(nvme_controller* ctrl) {
  if (ctrl->vfio.bar0 != NULL) {
    delete_io_queue(ctrl);
    nt_fail ignored = {0};
    if (!ctrl->fatal && (read32(ctrl, NVME_REG_CSTS) & NVME_CSTS_RDY)) {
      write32(ctrl, NVME_REG_CC, (read32(ctrl, NVME_REG_CC) & ~NVME_CC_SHN_MASK) | NVME_CC_SHN_NORMAL);
      wait_csts(ctrl, NVME_CSTS_SHST_MASK, NVME_CSTS_SHST_COMPLETE, SHUTDOWN_TIMEOUT_MS, "shutting the controller down", &ignored);
    }
    // Disabled, the controller no longer touches any queue or buffer, whatever state it was in.
    write32(ctrl, NVME_REG_CC, 0);
    wait_csts(ctrl, NVME_CSTS_RDY, 0, ctrl->ready_timeout_ms ? ctrl->ready_timeout_ms : 500, "disabling the controller", &ignored);
  }
  nvme_queue_free(&ctrl->io, &ctrl->vfio);
  nvme_queue_free(&ctrl->admin, &ctrl->vfio);
  vfio_dma_free(&ctrl->vfio, &ctrl->prp_lists);
  vfio_dma_free(&ctrl->vfio, &ctrl->scratch);
  vfio_device_close(&ctrl->vfio);
}
