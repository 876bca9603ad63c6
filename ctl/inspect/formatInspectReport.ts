import { formatBytes, formatColumns } from "../format.js";
import type { InspectReport, InspectValue, TokenizerSummary } from "./InspectReport.js";
import { countOf } from "../../protocol/countOf.js";

/** llama.cpp writes 0xFFFFFFFF (LLAMA_TOKEN_NULL as u32) for a special token the model lacks. */
const NO_TOKEN = 0xffffffff;

function formatValue(value: InspectValue): string {
  if (Array.isArray(value)) return `[${value.map(formatValue).join(", ")}]`;
  if (typeof value === "object") return `${value.itemType}[${value.length}]`;
  return String(value);
}

function formatHeader(r: InspectReport): string {
  return [
    `${r.file}`,
    `  GGUF v${r.version}, ${formatBytes(r.fileBytes)} (${r.fileBytes} bytes), alignment ${r.alignment}, ` +
      (r.tensors.length ? `data at offset ${r.dataOffset}` : "no data section"),
    `  architecture ${r.architecture ?? "(none)"}${r.name ? `, name "${r.name}"` : ""}`,
    `  ${countOf(r.tensors.length, "tensor")}, ${r.parameters.toLocaleString("en-US")} parameters, ${formatBytes(r.tensorBytes)} of weights`,
  ].join("\n");
}

function formatHyperParameters(r: InspectReport): string {
  const entries = Object.entries(r.hyperParameters);
  if (entries.length === 0) return "";
  return `\nhyper-parameters\n${entries.map(([k, v]) => `  ${k.padEnd(40)} ${formatValue(v)}`).join("\n")}\n`;
}

function formatTokenizer(t: TokenizerSummary): string {
  if (!t.model && t.vocabSize === 0) return "\ntokenizer: none\n";
  const specials = Object.entries(t.specialIds)
    .map(([role, id]) => `${role} ${id === NO_TOKEN ? "none" : id}`)
    .join(", ");
  const lines = [
    `  model ${t.model ?? "?"}${t.pre ? `, pre-tokenizer ${t.pre}` : ""}, vocabulary ${t.vocabSize}` +
      (t.merges ? `, ${countOf(t.merges, "merge")}` : ""),
    `  special ids: ${specials || "none"}`,
    `  add_bos ${t.addBos ?? "unset"}, add_eos ${t.addEos ?? "unset"}, chat template ${t.chatTemplate ? "yes" : "no"}`,
  ];
  return `\ntokenizer\n${lines.join("\n")}\n`;
}

function formatTensors(r: InspectReport): string {
  if (r.tensors.length === 0) return "\ntensors: none (vocabulary-only file)\n";
  const rows = r.tensors.map((t) => [t.name, t.type, t.shape.join(" x "), String(t.offset), String(t.bytes)]);
  return `\ntensors\n${indent(formatColumns(["NAME", "TYPE", "SHAPE", "OFFSET", "BYTES"], rows,
    ["left", "left", "left", "right", "right"]))}\n`;
}

function formatTotals(r: InspectReport): string {
  if (r.tensors.length === 0) return "";
  const types = r.totalsByType.map((t) => [t.type, String(t.tensors), String(t.elements), String(t.bytes), formatBytes(t.bytes)]);
  const layers = r.layers.map((l) => [`blk.${l.layer}`, String(l.tensors), String(l.bytes), formatBytes(l.bytes)]);
  layers.push(["(outside blocks)", String(r.tensors.length - r.layers.reduce((n, l) => n + l.tensors, 0)),
    String(r.nonLayerBytes), formatBytes(r.nonLayerBytes)]);
  return [
    "\ntotals by type",
    indent(formatColumns(["TYPE", "TENSORS", "ELEMENTS", "BYTES", "SIZE"], types, ["left", "right", "right", "right", "right"])),
    "\nbytes per layer",
    indent(formatColumns(["LAYER", "TENSORS", "BYTES", "SIZE"], layers, ["left", "right", "right", "right"])),
    "",
  ].join("\n");
}

function indent(text: string): string {
  return text.split("\n").map((line) => `  ${line}`).join("\n");
}

/** The human-readable form of `ntctl inspect`: summary, hyper-parameters, tokenizer, tensor table, totals. */
export function formatInspectReport(r: InspectReport): string {
  return formatHeader(r) + "\n" + formatHyperParameters(r) + formatTokenizer(r.tokenizer) + formatTensors(r) + formatTotals(r);
}
