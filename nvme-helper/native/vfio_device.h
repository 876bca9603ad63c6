// One PCI device owned through VFIO's type1 container: its group, its device fd, BAR0 mapped,
// and DMA mappings at IOVAs the helper alone chooses and knows (linux/vfio.h).
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "nt_fail.h"

typedef struct {
  int container;        // /dev/vfio/vfio
  int group;            // /dev/vfio/<group>
  int device;           // VFIO_GROUP_GET_DEVICE_FD
  volatile uint8_t* bar0;
  size_t bar0_mapped;   // bytes of BAR0 mapped (the registers and doorbells at least)
  uint64_t config_offset;  // the config space region's offset in the device fd
  uint64_t next_iova;   // bump allocator: IOVAs are never reused while the container lives
  int irq_eventfd;      // MSI-X vector 0 signals this eventfd (vfio_msix_enable), or -1: completions are polled
} vfio_device;

/** A buffer of host memory the device may DMA into, and where the device sees it. */
typedef struct {
  uint8_t* va;
  size_t size;
  uint64_t iova;
  int owned;  // whether vfio_dma_free munmaps va (anonymous memory) or only unmaps the IOVA
} dma_region;

/**
 * Opens `group_path` (/dev/vfio/N), checks the group is viable, attaches it to a new type1
 * container, gets the device `bdf`, maps at least `min_bar0` bytes of BAR0 and enables memory
 * decoding and bus mastering. On failure everything opened is closed.
 */
int vfio_device_open(vfio_device* vfio, const char* group_path, const char* bdf, size_t min_bar0, nt_fail* fail);

/**
 * Routes MSI-X vector 0 to a new non-blocking eventfd (VFIO_DEVICE_SET_IRQS), kept in
 * irq_eventfd. NT_E_UNSUPPORTED when the device has no MSI-X; the caller then polls.
 */
int vfio_msix_enable(vfio_device* vfio, nt_fail* fail);

/** Detaches the eventfd from MSI-X and closes it; nothing when none is attached. */
void vfio_msix_disable(vfio_device* vfio);

/** Unmaps BAR0 and closes the device, group and container (the kernel drops the DMA mappings and resets the function). */
void vfio_device_close(vfio_device* vfio);

/** Zeroed anonymous memory of `size` bytes (a multiple of 4096), mapped for DMA read and write. */
int vfio_dma_alloc(vfio_device* vfio, size_t size, dma_region* region, nt_fail* fail);

/** Maps caller-owned memory (`va`, page aligned, `size` a multiple of 4096) for DMA. */
int vfio_dma_map(vfio_device* vfio, void* va, size_t size, dma_region* region, nt_fail* fail);

/** Removes the IOMMU mapping, and frees the memory when vfio_dma_alloc made it. */
void vfio_dma_free(vfio_device* vfio, dma_region* region);
