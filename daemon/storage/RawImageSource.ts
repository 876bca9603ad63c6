/** A raw image opened for a load: the helper's read-only O_DIRECT fd of the block device and where the GGUF lies on it. */
export interface OpenedRawImage {
  /** The device's PCI address. */
  bdf: string;
  /** The image's name, as placed. */
  name: string;
  /** Read-only O_DIRECT fd of the namespace's block device; the caller closes it. */
  fd: number;
  /** Where the GGUF starts on the block device, in bytes. */
  offsetBytes: number;
  /** Bytes of GGUF in the image. */
  sizeBytes: number;
}

/**
 * Where the daemon finds images placed on raw block devices (the "raw" storage backend, DESIGN
 * §2): nt-nvme-helper in the daemon (HelperImageSource), a fake in tests.
 */
export interface RawImageSource {
  /**
   * The allowlisted device holding a valid image named `name`; NT_E_MODEL_NOT_FOUND naming it
   * when none does, NT_E_ENGINE_UNAVAILABLE when the helper cannot be reached.
   */
  locate(name: string): Promise<{ bdf: string }>;
  /** Opens the image on `bdf` (the caller closes the fd), with the same errors as locate(). */
  open(bdf: string): Promise<OpenedRawImage>;
}
