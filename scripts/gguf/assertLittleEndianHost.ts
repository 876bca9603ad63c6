import { endianness } from "node:os";

/**
 * Throws on a big-endian host. GGUF data is little-endian (the GGUF spec's default byte order)
 * and the float encoders and random-data generators write through typed arrays, which use the
 * host's byte order; on every platform Node runs on in practice (x86-64, arm64) that is LE.
 */
export function assertLittleEndianHost(): void {
  if (endianness() !== "LE") {
    throw new Error("the GGUF tools write tensor data through typed arrays and need a little-endian host");
  }
}
