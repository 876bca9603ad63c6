import type { GgufHeader, GgufMetadataEntry, GgufTensorInfo, GgufValue } from "../../cuda-engine/js/EngineBinding.js";
import { shortestFloat32 } from "../format.js";
import type { InspectReport, InspectValue, LayerTotal, TokenizerSummary, TypeTotal } from "./InspectReport.js";

/** Arrays longer than this are summarised (length and the first few items), not printed whole. */
const MAX_INLINE_ARRAY = 16;
const ARRAY_HEAD = 4;

/**
 * JSON has no bigint: 64-bit values beyond 2^53 are printed as decimal strings. f32 values are
 * printed in their shortest exact form (1e-5, not 9.999999747378752e-6).
 */
function toInspectValue(value: GgufValue, isF32: boolean): InspectValue {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map((v) => toInspectValue(v, isF32));
  return isF32 && typeof value === "number" ? shortestFloat32(value) : value;
}

function summariseEntry(entry: GgufMetadataEntry): InspectValue {
  const isF32 = entry.type === "f32" || entry.itemType === "f32";
  if (Array.isArray(entry.value) && entry.value.length > MAX_INLINE_ARRAY) {
    return {
      itemType: entry.itemType ?? "unknown",
      length: entry.value.length,
      head: entry.value.slice(0, ARRAY_HEAD).map((v) => toInspectValue(v, isF32)),
    };
  }
  return toInspectValue(entry.value, isF32);
}

function numberOr(value: GgufValue | undefined, fallback: number): number {
  return typeof value === "number" ? value : typeof value === "bigint" ? Number(value) : fallback;
}

function summariseTokenizer(values: Map<string, GgufValue>): TokenizerSummary {
  const prefix = "tokenizer.ggml.";
  const specialIds: Record<string, number> = {};
  for (const [key, value] of values) {
    const match = key.startsWith(prefix) ? /^(.*)_token_id$/.exec(key.slice(prefix.length)) : null;
    if (match?.[1]) specialIds[match[1]] = numberOr(value, -1);
  }
  const tokens = values.get(`${prefix}tokens`);
  const merges = values.get(`${prefix}merges`);
  const flag = (key: string) => (typeof values.get(key) === "boolean" ? (values.get(key) as boolean) : null);
  return {
    model: (values.get(`${prefix}model`) as string | undefined) ?? null,
    pre: (values.get(`${prefix}pre`) as string | undefined) ?? null,
    vocabSize: Array.isArray(tokens) ? tokens.length : 0,
    merges: Array.isArray(merges) ? merges.length : 0,
    specialIds,
    addBos: flag(`${prefix}add_bos_token`),
    addEos: flag(`${prefix}add_eos_token`),
    chatTemplate: typeof values.get("tokenizer.chat_template") === "string",
  };
}

function totalsByType(tensors: GgufTensorInfo[]): TypeTotal[] {
  const totals = new Map<string, TypeTotal>();
  for (const t of tensors) {
    const total = totals.get(t.type) ?? { type: t.type, tensors: 0, elements: 0, bytes: 0 };
    total.tensors += 1;
    total.elements += t.shape.reduce((a, b) => a * b, 1);
    total.bytes += t.bytes;
    totals.set(t.type, total);
  }
  return [...totals.values()].sort((a, b) => b.bytes - a.bytes);
}

function layerTotals(tensors: GgufTensorInfo[]): LayerTotal[] {
  const layers = new Map<number, LayerTotal>();
  for (const t of tensors) {
    const match = /^blk\.(\d+)\./.exec(t.name);
    if (!match) continue;
    const layer = Number(match[1]);
    const total = layers.get(layer) ?? { layer, tensors: 0, bytes: 0 };
    total.tensors += 1;
    total.bytes += t.bytes;
    layers.set(layer, total);
  }
  return [...layers.values()].sort((a, b) => a.layer - b.layer);
}

/** Turns the engine's parse of a GGUF file into what `ntctl inspect` shows. */
export function summarizeGguf(file: string, header: GgufHeader): InspectReport {
  const values = new Map(header.metadata.map((e) => [e.key, e.value]));
  const architecture = (values.get("general.architecture") as string | undefined) ?? null;
  const metadata: Record<string, InspectValue> = {};
  const hyperParameters: Record<string, InspectValue> = {};
  for (const entry of header.metadata) {
    metadata[entry.key] = summariseEntry(entry);
    if (architecture && entry.key.startsWith(`${architecture}.`) && !Array.isArray(entry.value)) {
      hyperParameters[entry.key.slice(architecture.length + 1)] = summariseEntry(entry);
    }
  }
  const layers = layerTotals(header.tensors);
  const tensorBytes = header.tensors.reduce((sum, t) => sum + t.bytes, 0);
  return {
    file,
    version: header.version,
    fileBytes: header.fileBytes,
    alignment: header.alignment,
    dataOffset: header.dataOffset,
    architecture,
    name: (values.get("general.name") as string | undefined) ?? null,
    hyperParameters,
    tokenizer: summariseTokenizer(values),
    metadata,
    tensors: header.tensors,
    parameters: header.tensors.reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0),
    tensorBytes,
    totalsByType: totalsByType(header.tensors),
    layers,
    nonLayerBytes: tensorBytes - layers.reduce((sum, l) => sum + l.bytes, 0),
  };
}
