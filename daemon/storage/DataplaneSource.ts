/** A data-plane session opened for a load: the sealed memfd of nt-nvme-helper's `open-dataplane` and the image it serves. */
export interface OpenedDataplane {
  /** The device's PCI address. */
  bdf: string;
  /** The image's name, as placed. */
  name: string;
  /** The session's memfd (protocol/helper/dataplaneRing.h); the caller closes it, and ends the session if it does not load from it. */
  fd: number;
  /** Bytes of GGUF in the image. */
  sizeBytes: number;
}

/**
 * Where the daemon finds images on devices bound to vfio-pci and reads them through nt-nvme-helper's
 * VFIO data plane (the "vfio" storage backend, DESIGN §2): HelperImageSource in the daemon, a fake
 * in tests. With the device off nvme there is no block device to read an image's name from: the
 * name is the one the session's own driver read.
 */
export interface DataplaneSource {
  /**
   * The allowlisted device on vfio-pci holding a valid image named `name`; NT_E_MODEL_NOT_FOUND
   * naming it (and where it is when its device is still on nvme) when none does,
   * NT_E_ENGINE_UNAVAILABLE when the helper cannot be reached.
   */
  locateBound(name: string): Promise<{ bdf: string }>;
  /** Opens a data-plane session on `bdf` (the caller closes the fd), with the same errors as locateBound(). */
  openDataplane(bdf: string): Promise<OpenedDataplane>;
}
