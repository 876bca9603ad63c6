// A stand-in for nt-nvme-helper's data plane over the real helper.sock protocol (SOCK_SEQPACKET,
// msgpack, the memfd as SCM_RIGHTS): `status` reports one allowlisted device on vfio-pci, and
// `open-dataplane` hands over a ring laid out as protocol/helper/dataplaneRing.h says, served from
// a GGUF file on this event loop. The "memfd" is a regular file: the engine's reader maps it
// MAP_SHARED, so its header and slots are the same page-cache bytes this serves with pread/pwrite
// (no futex wake: the reader looks again every 50 ms). kill() is the helper dying: the socket goes
// and nobody answers the ring any more. Requests are checked as the helper checks them.
import { closeSync, fstatSync, openSync, readSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { decodeHelperPacket, encodeHelperPacket } from "../../protocol/helper/helperPackets.js";
import { SeqpacketServer } from "../../protocol/helper/seqpacket/SeqpacketServer.js";

const HEADER_BYTES = 4096;
const RING_ENTRIES = 64;
const MAGIC = 0x3150444e4d49544en;
const OFF = { requestTail: 64, completionTail: 192, sessionState: 320, stopCode: 324, requests: 1024, completions: 3072 } as const;
const E = { ok: 0, range: 1, slot: 2, align: 3, size: 4 } as const;

/** Options of a FakeDataplaneHelper. */
export interface FakeDataplaneOptions {
  /** Where its socket and ring files go. */
  dir: string;
  /** The GGUF it serves as the placed image. */
  gguf: string;
  /** The image's name. */
  name: string;
  bdf: string;
  lbaBytes?: number;
  slots?: number;
  slotBytes?: number;
}

export class FakeDataplaneHelper {
  readonly socketPath: string;
  readonly #options: Required<FakeDataplaneOptions>;
  readonly #server: SeqpacketServer;
  readonly #image: number;
  readonly #imageBytes: number;
  readonly #sha256: string;
  readonly #rings: Array<{ fd: number; head: number; path: string }> = [];
  #timer: NodeJS.Timeout | undefined;
  /** Requests served and refused, over every session. */
  served = 0;
  refused = 0;
  /** open-dataplane calls answered. */
  sessions = 0;
  /** Answer open-dataplane with NT_E_BUSY this many times first (a session still ending). */
  busyAnswers = 0;

  constructor(options: FakeDataplaneOptions) {
    this.#options = { lbaBytes: 512, slots: 4, slotBytes: 64 << 10, ...options };
    this.socketPath = path.join(options.dir, "helper.sock");
    this.#image = openSync(options.gguf, "r");
    this.#imageBytes = fstatSync(this.#image).size;
    this.#sha256 = createHash("sha256").update(readFileSync(options.gguf)).digest("hex");
    this.#server = SeqpacketServer.listen({ path: this.socketPath, mode: 0o600 }, { maxFds: 1 }, (connection) => {
      connection.start({
        packet: (data) => {
          const { id, verb } = decodeHelperPacket(data) as { id: number; verb: string };
          const answer = this.#answer(verb);
          connection.send(encodeHelperPacket(answer.error ? { kind: "error", id, error: answer.error } : { kind: "result", id, result: answer.result }),
            answer.fd === undefined ? [] : [answer.fd]);
        },
        badPacket: () => connection.close(),
        close: () => {},
      });
    });
    this.#timer = setInterval(() => this.#serve(), 1);
  }

  /** The session_state word of the latest session's ring (0 open, 1 closed by its client). */
  sessionState(): number {
    const ring = this.#rings.at(-1);
    if (!ring) return -1;
    const word = Buffer.alloc(4);
    readSync(ring.fd, word, 0, 4, OFF.sessionState);
    return word.readUInt32LE(0);
  }

  /** The helper dies: its socket closes and its rings are no longer served. */
  kill(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#server.close();
  }

  close(): void {
    this.kill();
    for (const ring of this.#rings) closeSync(ring.fd);
    closeSync(this.#image);
  }

  #answer(verb: string): { result?: unknown; error?: { code: string; message: string }; fd?: number } {
    const image = { name: this.#options.name, sizeBytes: this.#imageBytes, sha256: this.#sha256, placedAtMs: 1 };
    if (verb === "status") {
      return {
        result: {
          devices: [{
            bdf: this.#options.bdf, driver: "vfio-pci", iommuGroup: "7", identity: {}, identityMatches: true,
            blockDevices: [], holders: [], imageArea: { startLba: 0, sizeBytes: 64 << 20 },
          }],
        },
      };
    }
    if (verb !== "open-dataplane") return { error: { code: "NT_E_UNSUPPORTED", message: `the fake serves no ${verb}` } };
    if (this.busyAnswers > 0) {
      this.busyAnswers--;
      return { error: { code: "NT_E_BUSY", message: `${this.#options.bdf} already serves a data-plane session` } };
    }
    this.sessions++;
    const { lbaBytes, slots, slotBytes } = this.#options;
    return {
      result: {
        device: this.#options.bdf, image,
        layout: { headerBytes: HEADER_BYTES, slotsOffset: HEADER_BYTES, slotCount: slots, slotBytes, lbaBytes, ringEntries: RING_ENTRIES, maxRequestBytes: slotBytes },
      },
      fd: this.#newRing(),
    };
  }

  /** A ring file with its header written; returns an fd of it for the client (ours is kept). */
  #newRing(): number {
    const { lbaBytes, slots, slotBytes } = this.#options;
    const file = path.join(this.#options.dir, `ring-${this.#rings.length}`);
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeBigUInt64LE(MAGIC, 0);
    header.writeUInt32LE(1, 8);
    header.writeUInt32LE(HEADER_BYTES, 12);
    header.writeBigUInt64LE(BigInt(this.#imageBytes), 16);
    header.writeUInt32LE(lbaBytes, 24);
    header.writeUInt32LE(slots, 28);
    header.writeBigUInt64LE(BigInt(slotBytes), 32);
    header.writeBigUInt64LE(BigInt(HEADER_BYTES), 40);
    header.writeUInt32LE(RING_ENTRIES, 48);
    header.writeUInt32LE(slotBytes, 52);
    writeFileSync(file, Buffer.concat([header, Buffer.alloc(slots * slotBytes)]));
    this.#rings.push({ fd: openSync(file, "r+"), head: 0, path: file });
    return openSync(file, "r+");
  }

  /** Answers every request published since the last look, on every open ring. */
  #serve(): void {
    for (const ring of this.#rings) {
      const header = Buffer.alloc(HEADER_BYTES);
      readSync(ring.fd, header, 0, HEADER_BYTES, 0);
      if (header.readUInt32LE(OFF.sessionState) !== 0) continue;
      const tail = header.readUInt32LE(OFF.requestTail);
      let completions = header.readUInt32LE(OFF.completionTail);
      while (ring.head !== tail) {
        const at = OFF.requests + (ring.head % RING_ENTRIES) * 32;
        const offset = Number(header.readBigUInt64LE(at));
        const bytes = header.readUInt32LE(at + 8);
        const slot = header.readUInt32LE(at + 12);
        const slotOffset = header.readUInt32LE(at + 16);
        const tag = header.readUInt32LE(at + 20);
        ring.head = (ring.head + 1) >>> 0;
        const status = this.#check(offset, bytes, slot, slotOffset);
        if (status === E.ok) this.#fill(ring.fd, offset, bytes, slot, slotOffset);
        const completion = Buffer.alloc(16);
        completion.writeUInt32LE(tag, 0);
        completion.writeInt32LE(status, 4);
        completion.writeUInt32LE(status === E.ok ? bytes : 0, 8);
        writeSync(ring.fd, completion, 0, 16, OFF.completions + (completions % RING_ENTRIES) * 16);
        completions = (completions + 1) >>> 0;
        if (status === E.ok) this.served++;
        else this.refused++;
      }
      const word = Buffer.alloc(4);
      word.writeUInt32LE(completions);
      writeSync(ring.fd, word, 0, 4, OFF.completionTail);
    }
  }

  #check(offset: number, bytes: number, slot: number, slotOffset: number): number {
    const { lbaBytes, slots, slotBytes } = this.#options;
    const padded = Math.ceil(this.#imageBytes / lbaBytes) * lbaBytes;
    if (bytes === 0 || bytes > slotBytes) return E.size;
    if (offset % lbaBytes !== 0 || bytes % lbaBytes !== 0 || slotOffset % 4 !== 0) return E.align;
    if (offset + bytes > padded) return E.range;
    if (slot >= slots || slotOffset + bytes > slotBytes) return E.slot;
    return E.ok;
  }

  #fill(ring: number, offset: number, bytes: number, slot: number, slotOffset: number): void {
    const data = Buffer.alloc(bytes);
    readSync(this.#image, data, 0, bytes, offset);
    writeSync(ring, data, 0, bytes, HEADER_BYTES + slot * this.#options.slotBytes + slotOffset);
  }
}
