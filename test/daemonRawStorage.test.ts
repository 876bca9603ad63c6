// The daemon side of the raw storage backend (issue 6): `load` with storage "raw" finds the image
// by name through the helper, opens it (open-image), passes {fd, offset, size} to the engine and
// closes the fd once the load settles. Here the helper is a fake RawImageSource over a plain file
// (a real helper on a loop device: daemonRawStorageLoop.test.ts).
import assert from "node:assert/strict";
import { fstatSync, openSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { NtClient } from "../ctl/NtClient.js";
import { DaemonServer } from "../daemon/DaemonServer.js";
import { ModelRegistry } from "../daemon/models/ModelRegistry.js";
import { HelperImageSource } from "../daemon/storage/HelperImageSource.js";
import type { OpenedRawImage, RawImageSource } from "../daemon/storage/RawImageSource.js";
import { NtError } from "../protocol/NtError.js";
import { fakeEngine, type FakeEngine, type FakeModelFile } from "./support/fakeEngine.js";
import { makeSocketDir } from "./support/makeSocketDir.js";
import { rejectionCode } from "./support/rejectionCode.js";

const BDF = "0000:01:00.0";
const OFFSET = 8192;

/** A stand-in for nt-nvme-helper: images in "device" files, each at OFFSET after junk. */
class FakeImageSource implements RawImageSource {
  readonly images = new Map<string, { bdf: string; file: string; size: number }>();
  /** Every fd open() handed out, with the inode it had, to check it was closed. */
  readonly opened: Array<{ fd: number; ino: number }> = [];
  locateCalls = 0;

  constructor(readonly dir: string) {}

  place(name: string, content: FakeModelFile, bdf = BDF): void {
    const body = Buffer.from(JSON.stringify(content));
    const file = path.join(this.dir, `${name}.device`);
    writeFileSync(file, Buffer.concat([Buffer.alloc(OFFSET, 0x5a), body, Buffer.alloc(100, 0x5a)]));
    this.images.set(name, { bdf, file, size: body.length });
  }

  async locate(name: string): Promise<{ bdf: string }> {
    this.locateCalls++;
    const image = this.images.get(name);
    if (!image) throw new NtError("NT_E_MODEL_NOT_FOUND", `no valid raw image named ${name}`);
    return { bdf: image.bdf };
  }

  async open(bdf: string): Promise<OpenedRawImage> {
    const [name, image] = [...this.images].find(([, i]) => i.bdf === bdf) ?? assert.fail(`nothing on ${bdf}`);
    const fd = openSync(image.file, "r");
    this.opened.push({ fd, ino: fstatSync(fd).ino });
    return { bdf, name, fd, offsetBytes: OFFSET, sizeBytes: image.size };
  }

  /** Whether every fd handed out is closed (its number closed, or reused for another file). */
  allClosed(): boolean {
    return this.opened.every(({ fd, ino }) => {
      try {
        return fstatSync(fd).ino !== ino;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === "EBADF";
      }
    });
  }
}

describe("load with storage raw", () => {
  let dir: Awaited<ReturnType<typeof makeSocketDir>>;
  let engine: FakeEngine;
  let images: FakeImageSource;
  let registry: ModelRegistry;

  before(async () => {
    dir = await makeSocketDir();
  });
  after(async () => {
    await registry?.close(new NtError("NT_E_CANCELLED", "test over"));
    await dir.remove();
  });

  const fresh = () => {
    engine = fakeEngine();
    images = new FakeImageSource(dir.dir);
    registry = new ModelRegistry({ loadEngine: () => engine, rawImages: images });
  };

  it("opens the image, passes {fd, offset, size} to the engine, closes the fd, and lists raw:<bdf>/<name>", async () => {
    fresh();
    images.place("tiny", { text: " from the image." });
    const model = await registry.load("tiny", { storage: "raw", backend: "cpu" });
    assert.equal(model.name, "tiny");
    assert.equal(model.path, `raw:${BDF}/tiny`);
    assert.deepEqual(engine.loadCalls, [`raw:${BDF}/tiny`]);
    const [opened] = images.opened;
    assert.ok(opened);
    assert.deepEqual(engine.loadOptions[0]?.image, { fd: opened.fd, offset: OFFSET, size: images.images.get("tiny")?.size });
    assert.equal(engine.loadOptions[0]?.backend, "cpu");
    assert.ok(images.allClosed(), "the helper's fd is closed once the load settled");
    assert.deepEqual(registry.list().map((m) => [m.name, m.path, m.state]), [["tiny", `raw:${BDF}/tiny`, "loaded"]]);
    // Found by name and by its raw path; a second load answers with it without opening again.
    assert.equal(await registry.get("tiny"), model);
    assert.equal(await registry.get(`raw:${BDF}/tiny`), model);
    assert.equal(await registry.load("tiny", { storage: "raw" }), model);
    assert.equal(images.opened.length, 1);
  });

  it("refuses an image name no device holds with NT_E_MODEL_NOT_FOUND, opening nothing", async () => {
    fresh();
    images.place("tiny", {});
    await assert.rejects(registry.load("other", { storage: "raw" }), (err: NtError) => {
      assert.equal(err.code, "NT_E_MODEL_NOT_FOUND");
      assert.match(err.message, /other/);
      return true;
    });
    assert.equal(images.opened.length, 0);
    assert.deepEqual(engine.loadCalls, []);
    assert.deepEqual(registry.list(), []);
  });

  it("closes the fd when the engine refuses the image, and keeps the engine's code", async () => {
    fresh();
    images.place("broken", { fail: { code: "NT_E_BAD_GGUF", message: "not a GGUF" } });
    assert.equal(await rejectionCode(registry.load("broken", { storage: "raw" })), "NT_E_BAD_GGUF");
    assert.equal(images.opened.length, 1);
    assert.ok(images.allClosed());
    assert.equal(registry.list()[0]?.state, "failed");
  });

  it("refuses a path as a raw image name, and a raw image whose name a file model holds", async () => {
    fresh();
    images.place("tiny", {});
    assert.equal(await rejectionCode(registry.load("/models/tiny.gguf", { storage: "raw" })), "NT_E_BAD_REQUEST");
    const file = path.join(dir.dir, "tiny.gguf");
    writeFileSync(file, JSON.stringify({}));
    await registry.load(file);
    assert.equal(await rejectionCode(registry.load("tiny", { storage: "raw" })), "NT_E_BAD_REQUEST");
    const raw = await registry.load("tiny", { storage: "raw", name: "tiny-raw" });
    assert.equal(raw.path, `raw:${BDF}/tiny`);
    assert.ok(images.allClosed());
  });

  it("says NT_E_ENGINE_UNAVAILABLE, naming the socket, when nt-nvme-helper is not there", async () => {
    const socketPath = path.join(dir.dir, "no-helper.sock");
    const source = new HelperImageSource(() => socketPath);
    await assert.rejects(source.locate("tiny"), (err: NtError) => {
      assert.equal(err.code, "NT_E_ENGINE_UNAVAILABLE");
      assert.ok(err.message.includes(socketPath));
      assert.match(err.message, /helperSocket/);
      return true;
    });
  });

  it("serves load {storage: \"raw\"} over the socket, path raw:<bdf>/<name> in the result and status", async () => {
    const own = fakeEngine();
    const source = new FakeImageSource(dir.dir);
    source.place("wire", {});
    const server = new DaemonServer({ socketPath: path.join(dir.dir, "wire.sock"), loadEngine: () => own, models: { rawImages: source } });
    await server.start();
    const client = await NtClient.connect({ socketPath: server.socketPath });
    try {
      const loaded = await client.request("load", { model: "wire", storage: "raw" });
      assert.equal(loaded.name, "wire");
      assert.equal(loaded.path, `raw:${BDF}/wire`);
      const status = await client.request("status", {});
      assert.deepEqual(status.models.map((m) => m.path), [`raw:${BDF}/wire`]);
      assert.ok(source.allClosed());
      const missing = await client.request("load", { model: "nope", storage: "raw" }).then(() => "resolved", (err: NtError) => err.code);
      assert.equal(missing, "NT_E_MODEL_NOT_FOUND");
    } finally {
      client.close();
      await server.stop();
    }
  });
});
