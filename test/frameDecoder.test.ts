import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FrameDecoder } from "../protocol/FrameDecoder.js";
import { NtError } from "../protocol/NtError.js";
import { encodeFrame, MAX_FRAME_BYTES } from "../protocol/transport.js";

const messages: unknown[] = [
  { kind: "hello", protocol: 1, client: "test" },
  { kind: "request", id: 1, verb: "ping", params: {} },
  { kind: "request", id: 4294967295, verb: "status", params: { nested: { list: [1, 2.5, "x", null, true] } } },
  { kind: "cancel", id: 7 },
  "a bare string is still one msgpack value",
];
const stream = Buffer.concat(messages.map((m) => encodeFrame(m)));

function decodeAll(chunks: Buffer[], decoder = new FrameDecoder()): unknown[] {
  return chunks.flatMap((chunk) => [...decoder.push(chunk)]);
}

/** A 4-byte big-endian length header followed by `body`. */
function rawFrame(body: Buffer, declaredLength = body.length): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(declaredLength, 0);
  return Buffer.concat([header, body]);
}

/** A copy of `bytes` in memory of its own, as each socket read delivers its chunk. */
function ownChunk(bytes: Buffer): Buffer {
  const chunk = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(chunk);
  return chunk;
}

function assertNtError(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof NtError && err.code === code);
}

describe("FrameDecoder", () => {
  it("decodes a stream split in two at every byte position identically", () => {
    for (let at = 0; at <= stream.length; at++) {
      assert.deepEqual(decodeAll([stream.subarray(0, at), stream.subarray(at)]), messages, `split at ${at}`);
    }
  });

  it("decodes a stream split in three at every pair of positions identically", () => {
    for (let a = 0; a <= stream.length; a += 3) {
      for (let b = a; b <= stream.length; b += 5) {
        const chunks = [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)];
        assert.deepEqual(decodeAll(chunks), messages, `split at ${a} and ${b}`);
      }
    }
  });

  it("decodes a stream fed one byte at a time", () => {
    const bytes = [...stream].map((byte) => Buffer.from([byte]));
    assert.deepEqual(decodeAll(bytes), messages);
  });

  it("decodes a large frame arriving in many chunks", () => {
    const big = { kind: "event", id: 1, event: { text: "x".repeat(3 * 1024 * 1024) } };
    const frame = encodeFrame(big);
    const chunks: Buffer[] = [];
    for (let at = 0; at < frame.length; at += 65_536) chunks.push(frame.subarray(at, at + 65_536));
    assert.deepEqual(decodeAll(chunks), [big]);
  });

  it("frames each message as a 4-byte big-endian body length and the msgpack body", () => {
    const frame = encodeFrame({ kind: "cancel", id: 7 });
    assert.equal(frame.readUInt32BE(0), frame.length - 4);
    // fixmap of 2, "kind" → "cancel", "id" → 7: plain msgpack, no msgpackr record extension.
    assert.equal(frame[4], 0x82);
  });

  it("refuses a declared length above the cap as soon as the header is complete", () => {
    const decoder = new FrameDecoder();
    const header = Buffer.alloc(4);
    header.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
    assert.deepEqual([...decoder.push(header.subarray(0, 3))], []);
    assertNtError(() => [...decoder.push(header.subarray(3))], "NT_E_FRAME_TOO_LARGE");
  });

  it("accepts a body of exactly the cap and refuses one byte more", () => {
    const body = Buffer.from([0xa3, 0x61, 0x62, 0x63]); // "abc"
    assert.deepEqual(decodeAll([rawFrame(body)], new FrameDecoder({ maxFrameBytes: 4 })), ["abc"]);
    assertNtError(() => decodeAll([rawFrame(body)], new FrameDecoder({ maxFrameBytes: 3 })), "NT_E_FRAME_TOO_LARGE");
  });

  it("refuses a zero-length frame", () => {
    assertNtError(() => decodeAll([rawFrame(Buffer.alloc(0))]), "NT_E_BAD_FRAME");
  });

  for (const [name, body] of [
    ["a truncated msgpack value", Buffer.from([0x92, 0x01])],
    ["bytes after the msgpack value", Buffer.from([0x01, 0x02])],
    ["an unknown msgpack extension", Buffer.from([0xd4, 0x05, 0x00])],
    ["a string shorter than it declares", Buffer.from([0xa5, 0x61])],
    // Extensions msgpackr itself knows, so they decoded before plain msgpack was enforced.
    ["a timestamp extension (msgpackr: a Date)", Buffer.from([0xd6, 0xff, 0, 0, 0, 1])],
    ["an ext 0 inside a map (msgpackr: undefined)", Buffer.from([0x81, 0xa1, 0x61, 0xd4, 0x00, 0x00])],
    ["a bigint extension", Buffer.from([0xd4, 0x42, 0x05])],
    ["an ext 8 carrying a bigint", Buffer.from([0xc7, 0x01, 0x42, 0x05])],
    ["the never-used byte 0xc1", Buffer.from([0xc1])],
    ["an array declaring more items than bytes follow", Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0x01])],
  ] as const) {
    it(`refuses a body that is ${name}`, () => {
      assertNtError(() => decodeAll([rawFrame(body)]), "NT_E_BAD_FRAME");
    });
  }

  it("yields the frames before a bad one, then fails and stays failed", () => {
    const decoder = new FrameDecoder();
    const seen: unknown[] = [];
    const input = Buffer.concat([encodeFrame("first"), rawFrame(Buffer.alloc(0))]);
    assertNtError(() => {
      for (const message of decoder.push(input)) seen.push(message);
    }, "NT_E_BAD_FRAME");
    assert.deepEqual(seen, ["first"]);
    assertNtError(() => [...decoder.push(encodeFrame("later"))], "NT_E_BAD_FRAME");
  });

  it("keeps a partial frame pending, header included, until the rest arrives", () => {
    const decoder = new FrameDecoder();
    const frame = encodeFrame({ kind: "cancel", id: 1 });
    assert.deepEqual([...decoder.push(frame.subarray(0, 6))], []);
    assert.equal(decoder.pendingBytes, 6);
    assert.equal(decoder.declaredBytes, frame.length - 4);
    assert.deepEqual([...decoder.push(frame.subarray(6))], [{ kind: "cancel", id: 1 }]);
    assert.equal(decoder.pendingBytes, 0);
  });

  it("holds a body arriving in pieces in one buffer of at most twice what arrived, and frees it once decoded", () => {
    const decoder = new FrameDecoder();
    const big = { kind: "event", id: 1, event: { text: "y".repeat(1024 * 1024) } };
    const frame = encodeFrame(big);
    // The last chunk completes the frame and starts the next one: what stays must be those few
    // bytes, not the megabyte they arrived with.
    const stream = Buffer.concat([frame, encodeFrame("next").subarray(0, 3)]);
    const seen: unknown[] = [];
    for (let at = 0; at < stream.length; at += 65_536) {
      seen.push(...decoder.push(ownChunk(stream.subarray(at, at + 65_536))));
      if (seen.length === 0) {
        assert.ok(decoder.retainedBytes <= Math.max(2 * decoder.pendingBytes, 65_536), `${decoder.retainedBytes} held for ${decoder.pendingBytes}`);
      }
    }
    assert.deepEqual(seen, [big]);
    assert.equal(decoder.pendingBytes, 3);
    assert.equal(decoder.retainedBytes, 0);
  });

  it("decodes a body sent one byte at a time, holding at most twice what arrived", () => {
    const decoder = new FrameDecoder();
    const message = { kind: "event", id: 1, event: { text: "z".repeat(200_000) } };
    const frame = encodeFrame(message);
    const seen: unknown[] = [];
    for (let at = 0; at < frame.length; at++) {
      seen.push(...decoder.push(frame.subarray(at, at + 1)));
      if (at % 10_007 === 0) assert.ok(decoder.retainedBytes <= Math.max(2 * decoder.pendingBytes, 65_536));
    }
    assert.deepEqual(seen, [message]);
    assert.equal(decoder.retainedBytes, 0);
  });

  it("reserves the body's memory from its budget before allocating, and returns all of it", () => {
    let reserved = 0;
    let peak = 0;
    const budget = {
      reserve: (bytes: number) => { reserved += bytes; peak = Math.max(peak, reserved); },
      release: (bytes: number) => { reserved -= bytes; },
    };
    const decoder = new FrameDecoder({ budget });
    const frame = encodeFrame({ kind: "event", id: 1, event: { text: "w".repeat(3 * 1024 * 1024) } });
    for (let at = 0; at < frame.length; at += 65_536) {
      decodeAll([frame.subarray(at, at + 65_536)], decoder);
      assert.equal(reserved, decoder.retainedBytes, `at ${at}`);
    }
    assert.equal(reserved, 0);
    assert.equal(peak, frame.length - 4, "the last growth stops at the declared length");
    assert.deepEqual(decodeAll([encodeFrame("small")], decoder), ["small"]);
    assert.equal(peak, frame.length - 4, "a body that arrives whole is decoded where it lies");
  });

  it("fails with the budget's error when it refuses, and holds nothing afterwards", () => {
    let reserved = 0;
    const budget = {
      reserve: (bytes: number) => {
        if (reserved + bytes > 100_000) throw new NtError("NT_E_BUSY", "over the test's budget");
        reserved += bytes;
      },
      release: (bytes: number) => { reserved -= bytes; },
    };
    const decoder = new FrameDecoder({ budget });
    const frame = encodeFrame("v".repeat(300_000));
    assertNtError(() => {
      for (let at = 0; at < frame.length; at += 65_536) decodeAll([frame.subarray(at, at + 65_536)], decoder);
    }, "NT_E_BUSY");
    assert.equal(reserved, 0);
    assert.equal(decoder.retainedBytes, 0);
    assertNtError(() => [...decoder.push(encodeFrame("later"))], "NT_E_BUSY");
  });

  it("returns what it holds when disposed, and refuses bytes afterwards", () => {
    let reserved = 0;
    const decoder = new FrameDecoder({ budget: { reserve: (b) => { reserved += b; }, release: (b) => { reserved -= b; } } });
    const frame = encodeFrame("u".repeat(500_000));
    decodeAll([frame.subarray(0, 200_000)], decoder);
    assert.equal(reserved, 200_000 - 4, "the body received so far");
    decoder.dispose();
    decoder.dispose();
    assert.equal(reserved, 0);
    assert.equal(decoder.pendingBytes, 0);
    assertNtError(() => [...decoder.push(frame.subarray(200_000))], "NT_E_INTERNAL");
  });

  it("decodes 64-bit integers within ±2^53 as numbers and beyond as bigint", () => {
    const uint64Five = Buffer.from([0xcf, 0, 0, 0, 0, 0, 0, 0, 5]);
    const uint64Huge = Buffer.from([0xcf, 0xff, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(decodeAll([rawFrame(uint64Five), rawFrame(uint64Huge)]), [5, 0xff00000000000000n]);
  });

  it("decodes every plain msgpack type: nil, booleans, integers of each width, floats, strings, binary, arrays, maps", () => {
    const plain = {
      nil: null, yes: true, no: false, small: [0, 64, 127, -1, -32], int8: -100, uint8: 200, int16: -30_000, uint16: 60_000,
      int32: -2_000_000_000, uint32: 4_000_000_000, big: 2 ** 40, negativeBig: -(2 ** 40), float: 0.5, double: 1.1,
      text: "x".repeat(300), longText: "y".repeat(70_000), bytes: Buffer.from([1, 2, 3]), nested: { list: [[], {}, [{ a: [1] }]] },
    };
    assert.deepEqual(decodeAll([encodeFrame(plain)]), [plain]);
  });

  it("refuses to encode a message above the cap", () => {
    assertNtError(() => encodeFrame("x".repeat(MAX_FRAME_BYTES + 1)), "NT_E_FRAME_TOO_LARGE");
  });
});
