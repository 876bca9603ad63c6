// VFIO type1 ownership of one PCI function (linux/vfio.h; the kernel's Documentation/driver-api/vfio.rst
// describes the sequence): container → group (viable) → set container → set IOMMU → device fd →
// region info → mmap BAR0. Never no-IOMMU mode: the type1 backend refuses a group without an IOMMU.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "vfio_device.h"

#define PAGE 4096u
// IOVAs start at 4 GiB plus a random multiple of 2 MiB below 1 GiB: clear of the low windows
// (ISA, MSI at 0xfee00000) and below QEMU's and real IOMMUs' 39-bit limit. The device sees only
// these addresses; nothing outside the helper ever learns them.
#define IOVA_BASE (1ull << 32)
#define IOVA_JITTER_UNITS 512u
#define IOVA_JITTER_UNIT (2ull << 20)

static int open_container(vfio_device* vfio, nt_fail* fail) {
  vfio->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
  if (vfio->container < 0) return nt_failf(fail, "NT_E_NO_IOMMU", "open /dev/vfio/vfio: %s", strerror(errno));
  if (ioctl(vfio->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
    return nt_failf(fail, "NT_E_UNSUPPORTED", "the kernel's VFIO API version is not %d", VFIO_API_VERSION);
  }
  if (ioctl(vfio->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1) {
    return nt_failf(fail, "NT_E_NO_IOMMU", "the VFIO container has no type1v2 IOMMU backend");
  }
  return 0;
}

static int open_group(vfio_device* vfio, const char* group_path, nt_fail* fail) {
  vfio->group = open(group_path, O_RDWR | O_CLOEXEC);
  if (vfio->group < 0) {
    // EBUSY: another process (or another open-dataplane) holds the group.
    return nt_failf(fail, errno == EBUSY ? "NT_E_DEVICE_BUSY" : "NT_E_IO", "open %s: %s", group_path, strerror(errno));
  }
  struct vfio_group_status status = {.argsz = sizeof status};
  if (ioctl(vfio->group, VFIO_GROUP_GET_STATUS, &status) != 0) {
    return nt_failf(fail, "NT_E_IO", "VFIO_GROUP_GET_STATUS: %s", strerror(errno));
  }
  if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
    return nt_failf(fail, "NT_E_IOMMU_GROUP_SHARED", "%s is not viable: a device in it is bound to a host driver", group_path);
  }
  if (ioctl(vfio->group, VFIO_GROUP_SET_CONTAINER, &vfio->container) != 0) {
    return nt_failf(fail, "NT_E_IO", "VFIO_GROUP_SET_CONTAINER: %s", strerror(errno));
  }
  if (ioctl(vfio->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) != 0) {
    return nt_failf(fail, "NT_E_NO_IOMMU", "VFIO_SET_IOMMU(type1v2): %s", strerror(errno));
  }
  return 0;
}

/** Picks the first IOVA inside a range the IOMMU accepts (VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE), at or after IOVA_BASE. */
static int choose_iova_base(vfio_device* vfio, nt_fail* fail) {
  uint16_t jitter = 0;
  if (getrandom(&jitter, sizeof jitter, 0) != sizeof jitter) jitter = 0;
  uint64_t want = IOVA_BASE + (jitter % IOVA_JITTER_UNITS) * IOVA_JITTER_UNIT;
  vfio->next_iova = want;
  struct vfio_iommu_type1_info probe = {.argsz = sizeof probe};
  if (ioctl(vfio->container, VFIO_IOMMU_GET_INFO, &probe) != 0) return nt_failf(fail, "NT_E_IO", "VFIO_IOMMU_GET_INFO: %s", strerror(errno));
  if (!(probe.flags & VFIO_IOMMU_INFO_CAPS) || probe.argsz <= sizeof probe) return 0;  // no ranges reported: any IOVA
  struct vfio_iommu_type1_info* info = calloc(1, probe.argsz);
  if (info == NULL) return nt_failf(fail, "NT_E_OUT_OF_MEMORY", "VFIO_IOMMU_GET_INFO buffer");
  info->argsz = probe.argsz;
  int result = 0;
  if (ioctl(vfio->container, VFIO_IOMMU_GET_INFO, info) != 0) {
    result = nt_failf(fail, "NT_E_IO", "VFIO_IOMMU_GET_INFO: %s", strerror(errno));
  } else {
    for (uint32_t at = info->cap_offset; at != 0 && at + sizeof(struct vfio_info_cap_header) <= info->argsz;) {
      struct vfio_info_cap_header* header = (struct vfio_info_cap_header*)((uint8_t*)info + at);
      if (header->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
        struct vfio_iommu_type1_info_cap_iova_range* ranges = (void*)header;
        uint64_t best = 0;
        for (uint32_t i = 0; i < ranges->nr_iovas; i++) {
          uint64_t start = ranges->iova_ranges[i].start, end = ranges->iova_ranges[i].end;
          uint64_t candidate = start > want ? (start + PAGE - 1) & ~(uint64_t)(PAGE - 1) : want;
          if (candidate < end && end - candidate > best) best = end - candidate, vfio->next_iova = candidate;
        }
        if (best < (1ull << 30)) result = nt_failf(fail, "NT_E_NO_IOMMU", "the IOMMU offers no 1 GiB IOVA range above 4 GiB");
      }
      if (header->next <= at) break;
      at = header->next;
    }
  }
  free(info);
  return result;
}

/** mmap of BAR0 from offset 0: the whole region, or the sparse area that starts at 0 (the MSI-X table may sit past it). */
static int map_bar0(vfio_device* vfio, size_t min_bytes, nt_fail* fail) {
  uint8_t buffer[1024] = {0};
  struct vfio_region_info* info = (void*)buffer;
  info->argsz = sizeof buffer;
  info->index = VFIO_PCI_BAR0_REGION_INDEX;
  if (ioctl(vfio->device, VFIO_DEVICE_GET_REGION_INFO, info) != 0) return nt_failf(fail, "NT_E_IO", "BAR0 region info: %s", strerror(errno));
  if (!(info->flags & VFIO_REGION_INFO_FLAG_MMAP)) return nt_failf(fail, "NT_E_UNSUPPORTED", "BAR0 cannot be mmapped");
  uint64_t length = info->size;
  if ((info->flags & VFIO_REGION_INFO_FLAG_CAPS) && info->argsz <= sizeof buffer) {
    for (uint32_t at = info->cap_offset; at != 0 && at + sizeof(struct vfio_info_cap_header) <= info->argsz;) {
      struct vfio_info_cap_header* header = (void*)(buffer + at);
      if (header->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
        struct vfio_region_info_cap_sparse_mmap* sparse = (void*)header;
        length = 0;
        for (uint32_t i = 0; i < sparse->nr_areas; i++) {
          if (sparse->areas[i].offset == 0) length = sparse->areas[i].size;
        }
      }
      if (header->next <= at) break;
      at = header->next;
    }
  }
  if (length < min_bytes) return nt_failf(fail, "NT_E_UNSUPPORTED", "BAR0 maps %llu bytes from 0; the driver needs %zu", (unsigned long long)length, min_bytes);
  void* bar = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, vfio->device, (off_t)info->offset);
  if (bar == MAP_FAILED) return nt_failf(fail, "NT_E_IO", "mmap BAR0: %s", strerror(errno));
  vfio->bar0 = bar;
  vfio->bar0_mapped = length;
  return 0;
}

/** Sets memory space decoding and bus mastering in the PCI command register (vfio-pci leaves bus mastering off). */
static int enable_bus_master(vfio_device* vfio, nt_fail* fail) {
  struct vfio_region_info info = {.argsz = sizeof info, .index = VFIO_PCI_CONFIG_REGION_INDEX};
  if (ioctl(vfio->device, VFIO_DEVICE_GET_REGION_INFO, &info) != 0) return nt_failf(fail, "NT_E_IO", "config region info: %s", strerror(errno));
  vfio->config_offset = info.offset;
  uint16_t command = 0;
  if (pread(vfio->device, &command, sizeof command, (off_t)(info.offset + PCI_COMMAND)) != sizeof command) {
    return nt_failf(fail, "NT_E_IO", "reading the PCI command register: %s", strerror(errno));
  }
  command |= PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
  if (pwrite(vfio->device, &command, sizeof command, (off_t)(info.offset + PCI_COMMAND)) != sizeof command) {
    return nt_failf(fail, "NT_E_IO", "writing the PCI command register: %s", strerror(errno));
  }
  return 0;
}

int vfio_device_open(vfio_device* vfio, const char* group_path, const char* bdf, size_t min_bar0, nt_fail* fail) {
  memset(vfio, 0, sizeof *vfio);
  vfio->container = vfio->group = vfio->device = vfio->irq_eventfd = -1;
  if (open_container(vfio, fail) != 0 || open_group(vfio, group_path, fail) != 0 || choose_iova_base(vfio, fail) != 0) {
    vfio_device_close(vfio);
    return -1;
  }
  vfio->device = ioctl(vfio->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
  if (vfio->device < 0) {
    nt_failf(fail, "NT_E_IO", "VFIO_GROUP_GET_DEVICE_FD(%s): %s", bdf, strerror(errno));
    vfio_device_close(vfio);
    return -1;
  }
  if (map_bar0(vfio, min_bar0, fail) != 0 || enable_bus_master(vfio, fail) != 0) {
    vfio_device_close(vfio);
    return -1;
  }
  return 0;
}

int vfio_msix_enable(vfio_device* vfio, nt_fail* fail) {
  struct vfio_irq_info irq = {.argsz = sizeof irq, .index = VFIO_PCI_MSIX_IRQ_INDEX};
  if (ioctl(vfio->device, VFIO_DEVICE_GET_IRQ_INFO, &irq) != 0) return nt_failf(fail, "NT_E_IO", "MSI-X IRQ info: %s", strerror(errno));
  if (irq.count == 0 || (irq.flags & VFIO_IRQ_INFO_EVENTFD) == 0) return nt_failf(fail, "NT_E_UNSUPPORTED", "the device has no MSI-X vector for an eventfd");
  int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (efd < 0) return nt_failf(fail, "NT_E_IO", "eventfd: %s", strerror(errno));
  union {
    struct vfio_irq_set set;
    uint8_t bytes[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
  } request;
  memset(&request, 0, sizeof request);
  request.set.argsz = sizeof request.bytes;
  request.set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
  request.set.index = VFIO_PCI_MSIX_IRQ_INDEX;
  request.set.start = 0;
  request.set.count = 1;
  int32_t fd32 = efd;
  memcpy(request.set.data, &fd32, sizeof fd32);
  if (ioctl(vfio->device, VFIO_DEVICE_SET_IRQS, &request.set) != 0) {
    int err = errno;
    close(efd);
    return nt_failf(fail, "NT_E_IO", "routing MSI-X vector 0 to an eventfd: %s", strerror(err));
  }
  vfio->irq_eventfd = efd;
  return 0;
}

void vfio_msix_disable(vfio_device* vfio) {
  if (vfio->irq_eventfd < 0) return;
  struct vfio_irq_set none = {.argsz = sizeof none, .flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
                              .index = VFIO_PCI_MSIX_IRQ_INDEX, .start = 0, .count = 0};
  ioctl(vfio->device, VFIO_DEVICE_SET_IRQS, &none);
  close(vfio->irq_eventfd);
  vfio->irq_eventfd = -1;
}

void vfio_device_close(vfio_device* vfio) {
  if (vfio->device >= 0) vfio_msix_disable(vfio);
  if (vfio->bar0 != NULL) munmap((void*)vfio->bar0, vfio->bar0_mapped);
  vfio->bar0 = NULL;
  if (vfio->device >= 0) close(vfio->device);
  if (vfio->group >= 0) close(vfio->group);
  if (vfio->container >= 0) close(vfio->container);
  vfio->device = vfio->group = vfio->container = -1;
}

int vfio_dma_map(vfio_device* vfio, void* va, size_t size, dma_region* region, nt_fail* fail) {
  if (size == 0 || size % PAGE != 0 || (uintptr_t)va % PAGE != 0) return nt_failf(fail, "NT_E_INTERNAL", "DMA mapping of %zu bytes at %p is not page aligned", size, va);
  struct vfio_iommu_type1_dma_map map = {
    .argsz = sizeof map, .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
    .vaddr = (uintptr_t)va, .iova = vfio->next_iova, .size = size,
  };
  if (ioctl(vfio->container, VFIO_IOMMU_MAP_DMA, &map) != 0) {
    // ENOMEM here is usually RLIMIT_MEMLOCK: type1 pins the pages and charges them to it.
    return nt_failf(fail, errno == ENOMEM ? "NT_E_OUT_OF_MEMORY" : "NT_E_IO", "VFIO_IOMMU_MAP_DMA of %zu bytes: %s", size, strerror(errno));
  }
  region->va = va;
  region->size = size;
  region->iova = vfio->next_iova;
  region->owned = 0;
  // A guard gap of one page between mappings: a device overrun faults instead of landing in a neighbour.
  vfio->next_iova += size + PAGE;
  return 0;
}

int vfio_dma_alloc(vfio_device* vfio, size_t size, dma_region* region, nt_fail* fail) {
  void* va = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (va == MAP_FAILED) return nt_failf(fail, "NT_E_OUT_OF_MEMORY", "mmap of %zu DMA bytes: %s", size, strerror(errno));
  if (vfio_dma_map(vfio, va, size, region, fail) != 0) {
    munmap(va, size);
    return -1;
  }
  region->owned = 1;
  return 0;
}

void vfio_dma_free(vfio_device* vfio, dma_region* region) {
  if (region->va == NULL) return;
  if (vfio->container >= 0) {
    struct vfio_iommu_type1_dma_unmap unmap = {.argsz = sizeof unmap, .iova = region->iova, .size = region->size};
    ioctl(vfio->container, VFIO_IOMMU_UNMAP_DMA, &unmap);
  }
  if (region->owned) munmap(region->va, region->size);
  memset(region, 0, sizeof *region);
}
