import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { encodeGgufHeader, type GgufHeaderTensor } from "./encodeGgufHeader.js";
import { ggmlTypes, type SupportedGgmlTypeName } from "./ggmlTypes.js";
import { GgufValue } from "./GgufValue.js";
import { GgufWriteError } from "./GgufWriteError.js";
import { tensorByteSize } from "./tensorByteSize.js";

/** Options of a {@link GgufWriter}. */
export interface GgufWriterOptions {
  /** GGUF version in the header: 3 or 2 (byte-identical otherwise for little-endian files). Default 3. */
  version?: 2 | 3;
  /**
   * Alignment in bytes of the data section and of every tensor's data: a power of two from 1 to
   * 2^31 (it is stored as a u32). Default 32, GGUF's default. When this option is given, even as
   * 32, the writer also writes the u32 key `general.alignment` as the first metadata entry;
   * when it is left out, no key is written and readers use 32, as with llama.cpp's converters.
   */
  alignment?: number;
  /**
   * Test escape hatch: the value written as `general.alignment` instead of u32(alignment), e.g.
   * a non-power-of-two or a wrong type, to check that a reader refuses it. The layout still
   * follows `alignment`. Default: none.
   */
  alignmentKeyOverride?: GgufValue;
  /**
   * For a file with no tensors: true pads the file with zeros to a multiple of the alignment,
   * as llama.cpp's writer does; false ends it right after the header, as llama.cpp's
   * vocabulary-only test files do. Files with tensors are always padded. Default true.
   */
  padVocabOnly?: boolean;
}

/** A tensor's name, type and shape for {@link GgufWriter.addTensor}. */
export interface GgufTensorSpec {
  /** Unique name, at most 63 UTF-8 bytes (llama.cpp refuses names of GGML_MAX_NAME = 64 or more). */
  name: string;
  /** A type the engine supports; others only through {@link GgufWriter.addRawTensor}. */
  type: SupportedGgmlTypeName;
  /** 1..4 positive dims in ne order (ne[0] innermost); ne[0] a multiple of the type's block size. */
  shape: readonly number[];
}

/** A tensor info written verbatim by {@link GgufWriter.addRawTensor}. */
export interface GgufRawTensorSpec {
  /** Any name, not checked for length or uniqueness. */
  name: string;
  /** Any u32 written as the ggml type id. */
  typeId: number;
  /** Any number of dims, each any u64. */
  dims: readonly (number | bigint)[];
  /** Bytes of data the source provides and the layout reserves. */
  byteSize: number;
}

/**
 * A tensor's bytes: a Uint8Array of exactly the tensor's size, or a function returning a fresh
 * (async) iterable of chunks whose sizes sum to it. The function is called once per write;
 * a chunk must not be changed after it is yielded (the file stream may still hold it).
 */
export type GgufTensorSource = Uint8Array | (() => Iterable<Uint8Array> | AsyncIterable<Uint8Array>);

/** Where everything lands in the file. */
export interface GgufLayout {
  /** Bytes from the magic to the end of the tensor infos. */
  headerBytes: number;
  /** File offset of the data section: headerBytes rounded up to the alignment (not rounded for an unpadded vocab-only file). */
  dataOffset: number;
  /** The alignment the layout uses. */
  alignment: number;
  /** Per tensor, in file order: `offset` relative to the data section (as stored), `fileOffset` absolute. */
  tensors: { name: string; typeId: number; byteSize: number; offset: number; fileOffset: number }[];
  /** Total file size, including the padding after the last tensor. */
  fileSize: number;
}

/** Progress of {@link GgufWriter.writeToFile}. */
export interface GgufWriteProgress {
  /** Bytes handed to the file stream so far (backpressure keeps that a few chunks ahead of the disk). */
  bytesWritten: number;
  /** Bytes the file will have. */
  totalBytes: number;
}

interface TensorEntry extends Omit<GgufHeaderTensor, "offset"> {
  readonly byteSize: number;
  readonly source: GgufTensorSource;
}

const alignmentKey = "general.alignment";
const maxTensorNameBytes = 63;
/** Largest zero-padding chunk yielded at once, so a huge alignment never allocates its size. */
const maxZeroChunk = 1 << 20;

/**
 * Writes a GGUF file (v3 or v2, little-endian) from typed metadata and tensor sources, streaming
 * tensor data so that no more than a few chunks are in memory. Add metadata and tensors, then
 * call {@link writeToFile} (or {@link toBuffer} for small files). Writing seals the writer.
 */
export class GgufWriter {
  private readonly version: 2 | 3;
  private readonly alignment: number;
  private readonly padVocabOnly: boolean;
  private readonly metadata = new Map<string, GgufValue>();
  private readonly tensors: TensorEntry[] = [];
  private readonly tensorNames = new Set<string>();
  private dataBytes = 0;
  private sealed = false;
  /** The encoded header, kept until the next change; a 128k-token vocabulary takes a while to encode. */
  private cachedHeader: Buffer | undefined;

  constructor(options: GgufWriterOptions = {}) {
    this.version = checkVersion(options.version ?? 3);
    this.alignment = checkAlignment(options.alignment ?? 32);
    this.padVocabOnly = options.padVocabOnly ?? true;
    const keyValue = options.alignmentKeyOverride
      ?? (options.alignment !== undefined ? GgufValue.u32(this.alignment) : undefined);
    if (keyValue !== undefined) this.metadata.set(alignmentKey, keyValue);
  }

  /** Adds a metadata entry; keys are unique, and `general.alignment` comes from the options. */
  addMetadata(key: string, value: GgufValue): this {
    this.checkOpen();
    if (key === alignmentKey) {
      throw new GgufWriteError("ERR_GGUF_BAD_NAME", `${alignmentKey} is set through the alignment option`);
    }
    checkName(key, "metadata key", 65535);
    if (this.metadata.has(key)) throw new GgufWriteError("ERR_GGUF_BAD_NAME", `metadata key ${key} was already added`);
    if (!(value instanceof GgufValue)) {
      throw new GgufWriteError("ERR_GGUF_BAD_VALUE", `metadata ${key}: value is not a GgufValue`);
    }
    this.metadata.set(key, value);
    this.cachedHeader = undefined;
    return this;
  }

  /** Adds a tensor of a supported type; its data comes from `source` at write time. */
  addTensor(spec: GgufTensorSpec, source: GgufTensorSource): this {
    this.checkOpen();
    checkName(spec.name, "tensor name", maxTensorNameBytes);
    if (this.tensorNames.has(spec.name)) {
      throw new GgufWriteError("ERR_GGUF_BAD_NAME", `tensor ${spec.name} was already added`);
    }
    const type = ggmlTypes[spec.type] as (typeof ggmlTypes)[keyof typeof ggmlTypes] | undefined;
    if (type === undefined || !type.supported) {
      throw new GgufWriteError("ERR_GGUF_BAD_TYPE",
        `tensor ${spec.name}: type ${String(spec.type)} is not a supported type (addRawTensor writes others)`);
    }
    const byteSize = tensorByteSize(type, spec.shape, `tensor ${spec.name}`);
    return this.push({ name: spec.name, typeId: type.id, dims: spec.shape.map(BigInt), byteSize }, source);
  }

  /**
   * Test escape hatch: adds a tensor info exactly as given (any type id, dims and size, e.g.
   * IQ2_XS or five dims) so tests can check that a reader refuses it. Nothing is checked but
   * that the values fit their fields and that the source matches `byteSize`.
   */
  addRawTensor(spec: GgufRawTensorSpec, source: GgufTensorSource): this {
    this.checkOpen();
    checkRawSpec(spec);
    return this.push({ name: spec.name, typeId: spec.typeId, dims: spec.dims.map(BigInt), byteSize: spec.byteSize },
      source);
  }

  /** The file's layout as it stands (offsets, sizes); cheap enough to call after every change. */
  layout(): GgufLayout {
    const offsets = this.tensorOffsets();
    const headerBytes = this.header(offsets).length;
    const dataOffset = this.dataOffset(headerBytes);
    const tensors = this.tensors.map((t, i) => ({
      name: t.name, typeId: t.typeId, byteSize: t.byteSize,
      offset: offsets[i] as number, fileOffset: dataOffset + (offsets[i] as number),
    }));
    return { headerBytes, dataOffset, alignment: this.alignment, tensors, fileSize: dataOffset + this.dataBytes };
  }

  /**
   * The file's bytes as chunks, in order: header, padding, each tensor's data and padding.
   * Iterating throws ERR_GGUF_SOURCE_SIZE when a source yields more or fewer bytes than its
   * tensor needs. Seals the writer at once, so the layout cannot change under a running write.
   */
  stream(): AsyncGenerator<Uint8Array> {
    this.sealed = true;
    return this.chunks();
  }

  /**
   * Streams the file to `path` with backpressure, never holding more than a few chunks. On
   * failure the partial file is removed and the error rethrown. Returns the layout written.
   */
  async writeToFile(path: string, options: { onProgress?: (progress: GgufWriteProgress) => void } = {}):
    Promise<GgufLayout> {
    const layout = this.layout();
    const counted = countChunks(this.stream(), layout.fileSize, options.onProgress);
    try {
      // highWaterMark counts chunks here (Readable.from is in object mode): two read ahead.
      await pipeline(Readable.from(counted, { highWaterMark: 2 }), createWriteStream(path));
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
    return layout;
  }

  /** The whole file in memory; for small test files. */
  async toBuffer(): Promise<Buffer> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of this.stream()) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  /** Header, padding, then each tensor's data followed by its padding. */
  private async *chunks(): AsyncGenerator<Uint8Array> {
    const offsets = this.tensorOffsets();
    const header = this.header(offsets);
    yield header;
    yield* zeros(this.dataOffset(header.length) - header.length);
    for (const [i, tensor] of this.tensors.entries()) {
      yield* sourceChunks(tensor);
      const next = offsets[i + 1] ?? this.dataBytes;
      yield* zeros(next - (offsets[i] as number) - tensor.byteSize);
    }
  }

  private push(entry: Omit<TensorEntry, "source">, source: GgufTensorSource): this {
    checkSource(entry.name, entry.byteSize, source);
    this.tensorNames.add(entry.name);
    this.tensors.push({ ...entry, source });
    // llama.cpp's writer pads after the last tensor too, so every tensor is followed by padding.
    this.dataBytes = alignUp(this.dataBytes + entry.byteSize, this.alignment);
    this.cachedHeader = undefined;
    return this;
  }

  /** The data section starts aligned, except in a vocab-only file written without padding. */
  private dataOffset(headerBytes: number): number {
    const padHeader = this.tensors.length > 0 || this.padVocabOnly;
    return padHeader ? alignUp(headerBytes, this.alignment) : headerBytes;
  }

  /** Each tensor's data offset: aligned, in order (GGUF spec: offsets are multiples of the alignment). */
  private tensorOffsets(): number[] {
    let offset = 0;
    return this.tensors.map((t) => {
      const start = offset;
      offset = alignUp(start + t.byteSize, this.alignment);
      return start;
    });
  }

  private header(offsets: readonly number[]): Buffer {
    const tensors = this.tensors.map((t, i) => ({ ...t, offset: offsets[i] as number }));
    this.cachedHeader ??= encodeGgufHeader(this.version, [...this.metadata], tensors);
    return this.cachedHeader;
  }

  private checkOpen(): void {
    if (this.sealed) throw new GgufWriteError("ERR_GGUF_SEALED", "the GGUF writer cannot change after writing started");
  }
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

function* zeros(count: number): Generator<Uint8Array> {
  for (let left = count; left > 0; left -= maxZeroChunk) yield new Uint8Array(Math.min(left, maxZeroChunk));
}

/** Yields a tensor's chunks, failing as soon as they overrun the size and at the end if short. */
async function* sourceChunks(tensor: TensorEntry): AsyncGenerator<Uint8Array> {
  if (tensor.source instanceof Uint8Array) {
    yield tensor.source;
    return;
  }
  let total = 0;
  for await (const chunk of tensor.source()) {
    if (!(chunk instanceof Uint8Array)) throw sizeError(tensor, "yielded a chunk that is not a Uint8Array");
    total += chunk.length;
    if (total > tensor.byteSize) throw sizeError(tensor, `yielded more than ${tensor.byteSize} bytes`);
    yield chunk;
  }
  if (total < tensor.byteSize) throw sizeError(tensor, `yielded ${total} of ${tensor.byteSize} bytes`);
}

async function* countChunks(chunks: AsyncIterable<Uint8Array>, totalBytes: number,
  onProgress: ((progress: GgufWriteProgress) => void) | undefined): AsyncGenerator<Uint8Array> {
  let bytesWritten = 0;
  for await (const chunk of chunks) {
    yield chunk;
    bytesWritten += chunk.length;
    onProgress?.({ bytesWritten, totalBytes });
  }
}

function sizeError(tensor: TensorEntry, why: string): GgufWriteError {
  return new GgufWriteError("ERR_GGUF_SOURCE_SIZE", `tensor ${tensor.name}: source ${why}`);
}

function checkSource(name: string, byteSize: number, source: GgufTensorSource): void {
  if (source instanceof Uint8Array) {
    if (source.length !== byteSize) {
      throw new GgufWriteError("ERR_GGUF_SOURCE_SIZE", `tensor ${name}: source has ${source.length} bytes, needs ${byteSize}`);
    }
  } else if (typeof source !== "function") {
    throw new GgufWriteError("ERR_GGUF_SOURCE_SIZE", `tensor ${name}: source is neither a Uint8Array nor a function`);
  }
}

function checkName(name: string, what: string, maxBytes: number): void {
  const bytes = typeof name === "string" ? Buffer.byteLength(name) : 0;
  if (bytes === 0 || bytes > maxBytes || /\p{Cs}/u.test(name)) {
    throw new GgufWriteError("ERR_GGUF_BAD_NAME",
      `${what} ${JSON.stringify(name)} is not 1..${maxBytes} bytes of well-formed UTF-8`);
  }
}

function checkRawSpec(spec: GgufRawTensorSpec): void {
  const fits = (v: number | bigint, max: bigint) =>
    (typeof v === "bigint" || Number.isSafeInteger(v)) && BigInt(v) >= 0n && BigInt(v) <= max;
  if (typeof spec.name !== "string" || !fits(spec.typeId, 0xffffffffn) || !spec.dims.every((d) => fits(d, 2n ** 64n - 1n))
    || spec.dims.length > 0xffffffff || !Number.isSafeInteger(spec.byteSize) || spec.byteSize < 0) {
    throw new GgufWriteError("ERR_GGUF_BAD_SHAPE",
      `raw tensor ${String(spec.name)}: type id, dims or byteSize do not fit their GGUF fields`);
  }
}

function checkVersion(version: number): 2 | 3 {
  if (version !== 2 && version !== 3) {
    throw new GgufWriteError("ERR_GGUF_BAD_OPTION", `GGUF version ${version} is not 2 or 3`);
  }
  return version;
}

function checkAlignment(alignment: number): number {
  if (!Number.isInteger(alignment) || alignment < 1 || alignment > 2 ** 31 || (alignment & (alignment - 1)) !== 0) {
    throw new GgufWriteError("ERR_GGUF_BAD_OPTION", `alignment ${alignment} is not a power of two from 1 to 2^31`);
  }
  return alignment;
}
