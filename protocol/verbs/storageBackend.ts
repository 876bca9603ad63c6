import { z } from "zod";

/**
 * Where a model's weights are read from (DESIGN §2): "file", the GGUF file; "raw", an image placed
 * on a raw block device, read through nt-nvme-helper's read-only fd (open-image); "vfio", the same
 * image read by the helper's own NVMe driver through its data plane (open-dataplane) while the
 * device is bound to vfio-pci.
 */
export const storageBackendSchema = z.enum(["file", "raw", "vfio"]);

export type StorageBackend = z.infer<typeof storageBackendSchema>;
