import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NtError } from "../protocol/NtError.js";
import { parseMessage } from "../protocol/parseMessage.js";
import { PROTOCOL_VERSION } from "../protocol/protocolVersion.js";
import { VERBS } from "../protocol/verbs.js";

/** "ok", or the code parsing `value` with `schema` fails with. */
function verdict(schema: Parameters<typeof parseMessage>[0], value: unknown): string {
  try {
    parseMessage(schema, value, "test");
    return "ok";
  } catch (err) {
    return err instanceof NtError ? err.code : String(err);
  }
}

const tiers = { vram: 640, pinned: 256, streamed: 256 };
const placement = {
  bytes: tiers, bytesPerPass: 512, hostOnlyBytes: 64, budgets: { vram: 1024, pinned: 512 }, used: { vram: 900, pinned: 448 },
  kvBytes: 128, activationBytes: 32, stagingBytes: 192, stagingSlots: 3, directIo: true,
  links: { vramGBps: 3000, h2dGBps: 25, storageGBps: 6.5 }, passMs: 52, boundTokensPerSecond: 19.2,
  rows: [{ name: "blk.0", layer: 0, bytes: tiers, ms: 1.5 }, { name: "output", layer: -1, bytes: tiers, ms: 0 }],
  text: "LAYER TIER\n",
};
const stages = { passes: 2, bytesRead: 10, bytesCopied: 20, readMs: 4, h2dMs: 2, computeMs: 1, stallMs: 3,
  perPass: { readMs: 2, h2dMs: 1, computeMs: 0.5, stallMs: 1.5 } };
const loaded = { name: "big", path: "/m/big.gguf", state: "loaded", active: 0, queued: 0, backend: "cuda", placement, stages };
const status = { state: "ready", pid: 1, uptimeSeconds: 1, socket: "/s", version: "0.1.0",
  engine: { error: { code: "NT_E_ENGINE_UNAVAILABLE", message: "x" } } };
const info = {
  architecture: "llama", nVocab: 512, nCtx: 2048, nCtxTrain: 2048, nEmbd: 64, nLayer: 5, nHead: 8, nHeadKv: 4, nFf: 172,
  threads: 2, weightBytes: 1171200, kvBytesPerSequence: 2621440, bos: 1, eos: 2,
};

describe("protocol 2: placement on the wire", () => {
  it("is protocol version 2 or later, since strict clients of version 1 would refuse the new result fields", () => {
    assert.ok(PROTOCOL_VERSION >= 2);
  });

  it("load accepts a backend, budgets in bytes and staging slots", () => {
    const params = { model: "/m/big.gguf", backend: "cuda", vramBudget: 24 * 2 ** 30, pinnedBudget: 0, stagingSlots: 4 };
    assert.equal(verdict(VERBS.load.params, params), "ok");
    for (const backend of ["auto", "cpu", "cuda"]) assert.equal(verdict(VERBS.load.params, { model: "m", backend }), "ok");
    assert.equal(verdict(VERBS.load.params, { model: "m", vramBudget: Number.MAX_SAFE_INTEGER }), "ok");
    assert.equal(verdict(VERBS.load.params, { model: "m", kvSize: 4096 }), "ok");
    for (const kvType of ["f32", "f16", "q8_0"]) assert.equal(verdict(VERBS.load.params, { model: "m", kvType }), "ok");
  });

  it("load refuses another backend, negative, fractional, unsafe or textual budgets, and fewer than 3 slots", () => {
    for (const bad of [
      { backend: "rocm" }, { backend: "CUDA" }, { vramBudget: -1 }, { pinnedBudget: -1 }, { vramBudget: 1.5 },
      { vramBudget: 2 ** 53 }, { vramBudget: "24GiB" }, { stagingSlots: 2 }, { stagingSlots: 3.5 }, { allowBufferedIo: true },
      { kvSize: 0 }, { kvSize: 16.5 }, { kvSize: 2 ** 31 }, { kvType: "q4_0" }, { kvType: "F16" },
    ]) assert.equal(verdict(VERBS.load.params, { model: "m", ...bad }), "NT_E_BAD_REQUEST", JSON.stringify(bad));
  });

  it("generate and chat carry the load options (a run is one request), checked as load checks them", () => {
    assert.equal(verdict(VERBS.generate.params, { model: "/m/x.gguf", prompt: "x", backend: "cpu" }), "ok");
    assert.equal(verdict(VERBS.chat.params, { model: "/m/x.gguf", messages: [{ role: "user", content: "x" }], vramBudget: 1 }),
      "ok");
    assert.equal(verdict(VERBS.generate.params, { model: "/m/x.gguf", prompt: "x", backend: "metal" }), "NT_E_BAD_REQUEST");
    assert.equal(verdict(VERBS.chat.params, { model: "/m/x.gguf", messages: [{ role: "user", content: "x" }], dualPath: "maybe" }),
      "NT_E_BAD_REQUEST");
  });

  it("a load result carries the backend and placement, both optional", () => {
    assert.equal(verdict(VERBS.load.result, { name: "m", path: "/m", info: { ...info, backend: "cpu", placement } }), "ok");
    assert.equal(verdict(VERBS.load.result, { name: "m", path: "/m", info }), "ok");
    assert.equal(verdict(VERBS.load.result, { name: "m", path: "/m", info: { ...info, backend: "metal" } }), "NT_E_BAD_REQUEST");
  });

  it("status entries carry backend, placement and stages, and a model without them still validates", () => {
    assert.equal(verdict(VERBS.status.result, { ...status, models: [loaded] }), "ok");
    const bare = { ...loaded, backend: undefined, placement: undefined, stages: undefined };
    assert.equal(verdict(VERBS.status.result, { ...status, models: [bare] }), "ok");
    const firstStages = { ...stages, passes: 0, perPass: undefined };
    assert.equal(verdict(VERBS.status.result, { ...status, models: [{ ...loaded, stages: firstStages }] }), "ok");
  });

  it("refuses unknown or missing fields anywhere in a placement, and impossible values", () => {
    const bad = [
      { ...placement, extra: 1 },
      { ...placement, bytes: { ...tiers, disk: 1 } },
      { ...placement, bytes: { vram: 1, pinned: 2 } },
      { ...placement, rows: [{ name: "blk.0", layer: 0, bytes: tiers, ms: 1, tier: "a" }] },
      { ...placement, rows: [{ name: "blk.0", layer: -2, bytes: tiers, ms: 1 }] },
      { ...placement, bytes: { ...tiers, vram: -1 } },
      { ...placement, boundTokensPerSecond: Number.POSITIVE_INFINITY },
      { ...placement, stagingSlots: 0 },
      { ...placement, links: { vramGBps: 1, h2dGBps: 1 } },
    ];
    for (const p of bad) assert.equal(verdict(VERBS.status.result, { ...status, models: [{ ...loaded, placement: p }] }), "NT_E_BAD_REQUEST");
    assert.equal(verdict(VERBS.status.result, { ...status, models: [{ ...loaded, stages: { ...stages, bogus: 1 } }] }), "NT_E_BAD_REQUEST");
    assert.equal(verdict(VERBS.status.result, { ...status, models: [{ ...loaded, stages: { ...stages, stallMs: -1 } }] }), "NT_E_BAD_REQUEST");
  });
});
