import { describeLlamaModel } from "./describeLlamaModel.js";
import { formatBytes } from "./formatBytes.js";
import { ggmlTypes } from "./ggmlTypes.js";
import type { GgufLayout } from "./GgufWriter.js";
import type { LlamaModelSpec } from "./resolveLlamaModel.js";

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
    `n_embd ${shape.nEmbd}, n_ff ${shape.nFf}, ${shape.nLayer} layers, head_dim ${shape.nEmbd / shape.nHead}, `
      + `vocab ${shape.nVocab}, context ${shape.contextLength}, rope theta ${shape.ropeFreqBase}`,
    `${layout.tensors.length} tensors: ${types.join(", ")}`,
    `header ${formatBytes(layout.dataOffset)}, data ${formatBytes(dataBytes)}, `
      + `file ${layout.fileSize} bytes (${formatBytes(layout.fileSize)}, ${(layout.fileSize / 1e9).toFixed(2)} GB)`,
  ];
}
