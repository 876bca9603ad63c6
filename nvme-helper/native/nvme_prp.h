// Physical Region Page entries for one transfer into IOVA-contiguous memory (NVMe base spec,
// "Physical Region Page Entry and List"), with 4 KiB memory pages (CC.MPS = 0): PRP1 points at the
// first byte (any dword-aligned offset in its page); the rest is whole pages, named by PRP2 when
// one page remains, else by a PRP list (page-aligned entries) that PRP2 points at.
#pragma once
#include <stdint.h>

#define NVME_PAGE 4096u
/** Entries of one PRP list page; transfers here never need a second, chained page. */
#define NVME_PRP_LIST_ENTRIES (NVME_PAGE / 8u)

/**
 * Fills *prp1 and *prp2 for `bytes` at `iova`; writes the list into `list` (one page, whose IOVA
 * is `list_iova`) when more than two pages are touched. Returns -1 when the transfer is empty, not
 * dword aligned, or needs more than one list page.
 */
static inline int nvme_prp_fill(uint64_t iova, uint64_t bytes, uint64_t* list, uint64_t list_iova, uint64_t* prp1, uint64_t* prp2) {
  if (bytes == 0 || iova % 4 != 0) return -1;
  uint64_t first = NVME_PAGE - iova % NVME_PAGE;
  *prp1 = iova;
  *prp2 = 0;
  if (bytes <= first) return 0;
  uint64_t next = iova + first;
  uint64_t rest = bytes - first;
  if (rest <= NVME_PAGE) {
    *prp2 = next;
    return 0;
  }
  uint64_t pages = (rest + NVME_PAGE - 1) / NVME_PAGE;
  if (pages > NVME_PRP_LIST_ENTRIES) return -1;
  for (uint64_t i = 0; i < pages; i++) list[i] = next + i * NVME_PAGE;
  *prp2 = list_iova;
  return 0;
}
