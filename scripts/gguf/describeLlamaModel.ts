// How the model generator describes a model for people: its one-line description (general.name),
// the --dry-run layout summary, and byte counts as that summary and the progress bar print them.
import { ggmlTypes } from "./ggmlTypes.js";
import { countOf } from "../../protocol/countOf.js";
import type { GgufLayout } from "./GgufWriter.js";
import type { LlamaModelSpec } from "./resolveLlamaModel.js";

/**
 * A one-line description of a model: architecture, shape, mix and every variant, e.g.
 * "llama 8b q4_k_m, bpe vocab, 32/8 heads, separate output, rope llama3". The generator writes
 * it into general.name, so a file says what it is when llama.cpp or `ntctl inspect` opens it.
 */
export function describeLlamaModel(spec: LlamaModelSpec): string {
  const { shape } = spec;
  return [
    `${spec.arch} ${spec.shapeName} ${spec.mixName}`,
    `${spec.vocab} vocab`,
    `${shape.nHead}/${shape.nHeadKv} heads`,
    spec.tiedOutput ? "tied output" : "separate output",
    `rope ${spec.ropeScaling}`,
  ].join(", ");
}

/**
 * What `generateModel --dry-run` prints: the model, its dimensions, the tensor count and bytes
 * per type, and the header, data and file sizes, so that a 70b or 405b layout can be checked
 * against the real file without writing it.
 */
export function llamaLayoutSummary(spec: LlamaModelSpec, layout: GgufLayout): string[] {
  const { shape } = spec;
  const byType = new Map<string, { count: number; bytes: number }>();
  for (const tensor of layout.tensors) {
    const name = Object.values(ggmlTypes).find((t) => t.id === tensor.typeId)?.name ?? `type ${tensor.typeId}`;
    const entry = byType.get(name) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += tensor.byteSize;
    byType.set(name, entry);
  }
  const types = [...byType].sort((a, b) => b[1].bytes - a[1].bytes)
    .map(([name, { count, bytes }]) => `${name} ×${count} ${formatBytes(bytes)}`);
  const dataBytes = layout.fileSize - layout.dataOffset;
  return [
    describeLlamaModel(spec),
    `n_embd ${shape.nEmbd}, n_ff ${shape.nFf}, ${countOf(shape.nLayer, "layer")}, head_dim ${shape.nEmbd / shape.nHead}, `
      + `vocab ${shape.nVocab}, context ${shape.contextLength}, rope theta ${shape.ropeFreqBase}`,
    `${countOf(layout.tensors.length, "tensor")}: ${types.join(", ")}`,
    `header ${formatBytes(layout.dataOffset)}, data ${formatBytes(dataBytes)}, `
      + `file ${layout.fileSize} bytes (${formatBytes(layout.fileSize)}, ${(layout.fileSize / 1e9).toFixed(2)} GB)`,
  ];
}

const units = ["B", "KiB", "MiB", "GiB", "TiB"];

/** A byte count for people: "512 B", "1.50 MiB", "39.61 GiB" (binary units, three significant digits or more). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(2)} ${units[unit]}`;
}
