import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { findTestData } from "./support/findTestData.js";
import { testDataMissing } from "./support/testDataMissing.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SCRIPT = path.join(root, "scripts/fetchTestData.sh");
const FILES = ["stories260K.gguf",
  "vocab/ggml-vocab-llama-spm.gguf", "vocab/ggml-vocab-llama-spm.gguf.inp", "vocab/ggml-vocab-llama-spm.gguf.out",
  "vocab/ggml-vocab-gpt-2.gguf", "vocab/ggml-vocab-gpt-2.gguf.inp", "vocab/ggml-vocab-gpt-2.gguf.out"];

/** Runs the script (asynchronously: this process serves its downloads) with `env` added. */
function fetchTestData(dir: string, env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [SCRIPT, dir], { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on("data", (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** Every file under `dir`, relative to it, sorted. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

/**
 * scripts/fetchTestData.sh against a local HTTP server that serves a copy of the real test data
 * (this machine has no internet; NT_TEST_DATA_BASE_URL points the script at the server): the
 * script's pinned sha256 sums must match the real files, and a corrupted or missing download must
 * fail naming the file and leave nothing half-written.
 */
describe("scripts/fetchTestData.sh", () => {
  const real = findTestData("stories260K.gguf");
  let served: string;
  let server: Server;
  let base: string;
  let work: string;

  before(async () => {
    if (real === undefined) return;
    work = await mkdtemp(path.join(os.tmpdir(), "nt-fetch-"));
    served = path.join(work, "served");
    await cp(path.dirname(real), served, { recursive: true });
    server = createServer((request, response) => {
      readFile(path.join(served, decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname)))
        .then((body) => response.end(body), () => { response.statusCode = 404; response.end("not found"); });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    if (real === undefined) return;
    await new Promise((resolve) => server.close(resolve));
    await rm(work, { recursive: true, force: true });
  });

  it("downloads every file, checks its sha256, and keeps verified files on a second run", { skip: real === undefined && testDataMissing("stories260K.gguf") }, async () => {
    for (const tool of ["curl", "node"]) {
      const dir = path.join(work, `fetched-${tool}`);
      const first = await fetchTestData(dir, { NT_TEST_DATA_BASE_URL: base, NT_FETCH_TOOL: tool });
      assert.equal(first.status, 0, first.stderr);
      assert.deepEqual(await listFiles(dir), [...FILES].sort());
      for (const file of FILES) {
        const original = await readFile(path.join(served, file));
        const fetched = await readFile(path.join(dir, file));
        assert.equal(createHash("sha256").update(fetched).digest("hex"), createHash("sha256").update(original).digest("hex"), file);
      }
      assert.match(first.stdout, /7 files in .*, each with its expected sha256 \(7 fetched now\)/);
      const second = await fetchTestData(dir, { NT_TEST_DATA_BASE_URL: `${base}/gone`, NT_FETCH_TOOL: tool });
      assert.equal(second.status, 0, second.stderr);
      assert.match(second.stdout, /\(0 fetched now\)/);
    }
  });

  it("refuses a corrupted file, naming it, and leaves nothing of it behind", { skip: real === undefined && testDataMissing("stories260K.gguf") }, async () => {
    const corrupted = "vocab/ggml-vocab-gpt-2.gguf";
    const intact = await readFile(path.join(served, corrupted));
    const flipped = Buffer.from(intact);
    flipped[1000] = (flipped[1000] ?? 0) ^ 0xff;
    await chmod(path.join(served, corrupted), 0o644);  // copied from a read-only folder
    await writeFile(path.join(served, corrupted), flipped);
    try {
      const dir = path.join(work, "corrupted");
      const result = await fetchTestData(dir, { NT_TEST_DATA_BASE_URL: base });
      assert.equal(result.status, 1);
      assert.match(result.stderr, new RegExp(`fetchTestData: ${corrupted} from ${base}/${corrupted} has sha256 [0-9a-f]{64}, expected cedc56ca6e2e89f6`));
      // The files before it in the list are whole and verified; nothing of the corrupted one, no temporary file.
      assert.deepEqual(await listFiles(dir), FILES.slice(0, FILES.indexOf(corrupted)).sort());
    } finally {
      await writeFile(path.join(served, corrupted), intact);
    }
  });

  it("fails naming the file and its address when the server does not have it", { skip: real === undefined && testDataMissing("stories260K.gguf") }, async () => {
    for (const tool of ["curl", "node"]) {
      const dir = path.join(work, `missing-${tool}`);
      const result = await fetchTestData(dir, { NT_TEST_DATA_BASE_URL: `${base}/nothing-here`, NT_FETCH_TOOL: tool });
      assert.equal(result.status, 1);
      assert.match(result.stderr, new RegExp(`could not download stories260K.gguf from ${base}/nothing-here/stories260K.gguf; nothing written for it`));
      assert.deepEqual(await listFiles(dir), []);
    }
  });
});
