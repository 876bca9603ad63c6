import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NtClient } from "../ctl/NtClient.js";
import type { DaemonServer } from "../daemon/DaemonServer.js";
import { NtError } from "../protocol/NtError.js";
import { encodeFrame, MAX_FRAME_BYTES } from "../protocol/transport.js";
import { capturingLogger } from "./support/capturingLogger.js";
import { RawConnection } from "./support/RawConnection.js";
import { startTestDaemon, type TestDaemon } from "./support/startTestDaemon.js";

const noEngine = () => {
  throw new NtError("NT_E_ENGINE_UNAVAILABLE", "no engine in this test");
};

/** Polls until `condition` holds; fails the test after `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Asserts the server sent one id-less error frame with `code` and then closed the connection. */
async function assertDropped(raw: RawConnection, code: string): Promise<void> {
  const frame = await raw.next() as { kind: string; id?: number; error: { code: string } };
  assert.deepEqual([frame.kind, frame.id, frame.error.code], ["error", undefined, code]);
  await raw.closed;
}

/**
 * The frame of a `ping` request padded (with a params field the verb refuses) to a body of
 * exactly `bodyBytes`: when it completes, the daemon answers NT_E_BAD_REQUEST for its id and
 * keeps the connection, which shows the frame arrived whole.
 */
function paddedPing(id: number, bodyBytes: number): Buffer {
  const frameOf = (padding: number) => encodeFrame({ kind: "request", id, verb: "ping", params: { pad: "p".repeat(padding) } });
  // Above 65535 characters msgpack's string header has a fixed size, so the body grows byte for byte.
  const overhead = frameOf(70_000).length - 4 - 70_000;
  const frame = frameOf(bodyBytes - overhead);
  assert.equal(frame.length, 4 + bodyBytes);
  return frame;
}

describe("ntd.sock frame limits: partial frames time out", () => {
  const { logger, lines } = capturingLogger();
  let daemon: TestDaemon;

  before(async () => {
    daemon = await startTestDaemon({ loadEngine: noEngine, logger, frameTimeoutMs: 400 });
  });
  after(() => daemon.stop());

  it("drops a greeted client whose frame is not complete within the frame timeout, and frees its bytes", { timeout: 10_000 }, async () => {
    const raw = await RawConnection.open(daemon.dir.socketPath);
    await raw.greet();
    const frame = paddedPing(1, 200_000);
    const started = Date.now();
    raw.write(frame.subarray(0, 150_000));
    await until(() => daemon.server.bufferedFrameBytes > 0, "the daemon holds the partial frame");
    await assertDropped(raw, "NT_E_BAD_FRAME");
    assert.ok(Date.now() - started >= 390, `dropped after ${Date.now() - started} ms, not before the timeout`);
    assert.equal(daemon.server.bufferedFrameBytes, 0);
    assert.ok(lines.some((line) => line.includes("dropping connection: a frame of 200000 bytes was not complete within 400 ms")),
      "the log says why");
    assert.equal((await daemon.client.request("ping", {})).pong, true, "other clients carry on");
  });

  it("also times out a frame header left incomplete", { timeout: 10_000 }, async () => {
    const raw = await RawConnection.open(daemon.dir.socketPath);
    await raw.greet();
    raw.write(Buffer.from([0, 0]));
    await assertDropped(raw, "NT_E_BAD_FRAME");
  });

  it("times each frame on its own: frames sent slowly, each within the timeout, are all served", { timeout: 10_000 }, async () => {
    const raw = await RawConnection.open(daemon.dir.socketPath);
    await raw.greet();
    // Three frames, each split across 200 ms (600 ms in all, half as much again as the timeout); each new frame's
    // first half travels with the end of the one before, so a frame is always pending.
    const frames = [1, 2, 3].map((id) => paddedPing(id, 100_000));
    raw.write(frames[0]!.subarray(0, 50_000));
    for (let i = 0; i < frames.length; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const next = frames[i + 1]?.subarray(0, 50_000) ?? Buffer.alloc(0);
      raw.write(Buffer.concat([frames[i]!.subarray(50_000), next]));
    }
    for (const id of [1, 2, 3]) {
      const answer = await raw.next() as { id: number; error: { code: string } };
      assert.deepEqual([answer.id, answer.error.code], [id, "NT_E_BAD_REQUEST"]);
    }
    raw.destroy();
  });
});

describe("ntd.sock frame limits: what all clients together may buffer", () => {
  const { logger, lines } = capturingLogger();
  let daemon: TestDaemon;
  let server: DaemonServer;

  before(async () => {
    // The default limit, 64 MiB: four frames of the largest size.
    daemon = await startTestDaemon({ loadEngine: noEngine, logger });
    server = daemon.server;
  });
  after(() => daemon.stop());

  it("drops the client whose frame would pass the limit with NT_E_BUSY; the others, and honest clients, are served", { timeout: 60_000 }, async () => {
    const bodyBytes = MAX_FRAME_BYTES - 1;
    const frame = paddedPing(1, bodyBytes);
    const held: RawConnection[] = [];
    for (let i = 0; i < 4; i++) {
      const raw = await RawConnection.open(daemon.dir.socketPath);
      await raw.greet();
      raw.write(frame.subarray(0, frame.length - 1));
      held.push(raw);
    }
    // Four frames of 16 MiB − 1 bytes, each missing its last byte: exactly what the daemon may hold.
    await until(() => server.bufferedFrameBytes === 4 * bodyBytes, "four partial frames are held", 20_000);

    const fifth = await RawConnection.open(daemon.dir.socketPath);
    await fifth.greet();
    fifth.write(frame.subarray(0, frame.length - 1));
    await assertDropped(fifth, "NT_E_BUSY");
    assert.equal(server.bufferedFrameBytes, 4 * bodyBytes, "the refused frame holds nothing");
    assert.ok(lines.some((line) => /dropping connection: .*socketBufferLimit.*\[NT_E_BUSY\]/.test(line)), "the log says why");

    assert.equal((await daemon.client.request("ping", {})).pong, true, "small requests need none of it");
    const late = await NtClient.connect({ socketPath: daemon.dir.socketPath });
    assert.equal((await late.request("status", {})).state, "ready", "new clients are served");
    late.close();

    // The held frames were kept whole: the last byte completes one, and it is answered.
    held[0]!.write(frame.subarray(frame.length - 1));
    const answer = await held[0]!.next() as { id: number; error: { code: string } };
    assert.deepEqual([answer.id, answer.error.code], [1, "NT_E_BAD_REQUEST"]);
    assert.equal(server.bufferedFrameBytes, 3 * bodyBytes);

    for (const raw of held) raw.destroy();
    await until(() => server.bufferedFrameBytes === 0, "the closed connections' frames are freed");
  });
});
