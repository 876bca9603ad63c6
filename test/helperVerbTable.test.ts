import assert from "node:assert/strict";
import { closeSync, openSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { z } from "zod";
import { HELPER_VERBS, type HelperVerbName, type HelperVerbParams } from "../protocol/helper/helperVerbs.js";
import { HelperServer } from "../nvme-helper/HelperServer.js";
import { HELPER_VERB_TABLE, type HelperVerbTable } from "../nvme-helper/helperVerbTable.js";
import { loadPeerCredentialsAddon, peerCredentials } from "../nvme-helper/peer/peerCredentials.js";
import { TEST_BDF } from "./support/makeHelperFixture.js";
import { makeLoopHelperFixture, type LoopHelperFixture } from "./support/loopDeviceFixture.js";
import { RawHelperConnection } from "./support/RawHelperConnection.js";
import { skipWithoutLoopDevices } from "./support/skipWithoutLoopDevices.js";

// Type-level checks, never run: each table below is wrong in one way, and tsc (npm run build:ts)
// fails should one of them compile, since its expect-error directive would then be unused.
function tableTypeChecks(): void {
  const { status, place, bind, restore } = HELPER_VERB_TABLE;
  const withoutOpenImage = { status, place, bind, restore };
  // @ts-expect-error A verb of HELPER_VERBS without an entry (open-image) does not compile.
  const missingVerb: HelperVerbTable = withoutOpenImage;
  const extraVerb: HelperVerbTable = {
    ...HELPER_VERB_TABLE,
    // @ts-expect-error Nor does an entry for a verb HELPER_VERBS lacks.
    "write-sysfs": HELPER_VERB_TABLE.status,
  };
  const resultOfAnotherVerb: HelperVerbTable = {
    ...HELPER_VERB_TABLE,
    status: {
      params: HELPER_VERBS.status.params, fdIn: false, fdOut: false, audit: () => "",
      // @ts-expect-error A handler must answer its own verb's result (bind answers one device, status a list).
      handle: async (monitor) => ({ result: await monitor.bind({ device: TEST_BDF }) }),
    },
  };
  const undefinedResult: HelperVerbTable = {
    ...HELPER_VERB_TABLE,
    bind: {
      params: HELPER_VERBS.bind.params, fdIn: false, fdOut: false, audit: () => "",
      // @ts-expect-error An answer without a result does not compile.
      handle: async () => ({ result: undefined }),
    },
  };
  const fdOutWithoutFd: HelperVerbTable = {
    ...HELPER_VERB_TABLE,
    // @ts-expect-error With fdOut, the answer must carry the fd.
    "open-image": {
      params: HELPER_VERBS["open-image"].params, fdIn: false, fdOut: true, audit: () => "",
      handle: (monitor, { params }) => ({ result: monitor.openImage(params).result }),
    },
  };
  const fdWithoutFdIn: HelperVerbTable = {
    ...HELPER_VERB_TABLE,
    place: {
      params: HELPER_VERBS.place.params, fdIn: false, fdOut: false, audit: () => "",
      // @ts-expect-error Without fdIn, a handler gets no fd to use.
      handle: async (monitor, { params, fd, emit, hangUp }) => ({ result: await monitor.place(params, fd, () => emit({ type: "progress", done: 0, total: 0 }), hangUp) }),
    },
  };
  void [missingVerb, extraVerb, resultOfAnotherVerb, undefinedResult, fdOutWithoutFd, fdWithoutFdIn];
}
void tableTypeChecks;

describe("the helper's verb table", () => {
  it("has one entry per verb of HELPER_VERBS, each validating with that verb's params schema", () => {
    assert.deepEqual(Object.keys(HELPER_VERB_TABLE).sort(), Object.keys(HELPER_VERBS).sort());
    for (const verb of Object.keys(HELPER_VERBS) as HelperVerbName[]) {
      assert.equal(HELPER_VERB_TABLE[verb].params, HELPER_VERBS[verb].params, verb);
    }
  });

  it("lets only place take an fd and only open-image and open-dataplane give one back (protocol/helper/README.md)", () => {
    const verbs = Object.keys(HELPER_VERB_TABLE) as HelperVerbName[];
    assert.deepEqual(verbs.filter((verb) => HELPER_VERB_TABLE[verb].fdIn), ["place"]);
    assert.deepEqual(verbs.filter((verb) => HELPER_VERB_TABLE[verb].fdOut).sort(), ["open-dataplane", "open-image"]);
  });
});

/**
 * A request of each verb that succeeds on the loop fixture when sent in this order (place before
 * open-image, bind before restore). open-dataplane needs VFIO and an NVMe controller: the QEMU
 * guest proves it (test/nvmeVfioQemu.test.ts).
 */
type Samples = { [V in Exclude<HelperVerbName, "open-dataplane">]: (fixture: LoopHelperFixture) => { params: HelperVerbParams<V>; fds: number[] } };
const samples: Samples = {
  status: () => ({ params: {}, fds: [] }),
  place: (fixture) => ({ params: { device: TEST_BDF, name: "every-verb" }, fds: [openSync(fixture.makeGguf("m.gguf", 3 << 19).file, "r")] }),
  "open-image": () => ({ params: { device: TEST_BDF }, fds: [] }),
  bind: () => ({ params: { device: TEST_BDF }, fds: [] }),
  restore: () => ({ params: {}, fds: [] }),
};

describe("every helper verb over helper.sock", { skip: skipWithoutLoopDevices("bind, place and open-image use a loop device as the namespace") }, () => {
  let fixture: LoopHelperFixture;
  let server: HelperServer;
  let socketPath: string;
  before(async () => {
    fixture = makeLoopHelperFixture();
    loadPeerCredentialsAddon();
    socketPath = path.join(fixture.dir, "helper.sock");
    server = new HelperServer({ config: fixture.config, monitor: fixture.monitor(), credentialsOf: peerCredentials, log: () => {} });
    await server.listen({ path: socketPath });
  });
  after(async () => {
    await server?.close();
    fixture?.removeAll();
  });

  it("answers each verb with a result its result schema accepts, and an fd exactly when the table says", async () => {
    const connection = RawHelperConnection.open(socketPath);
    try {
      let id = 0;
      for (const verb of Object.keys(samples) as Array<keyof Samples>) {
        const { params, fds } = samples[verb](fixture);
        connection.send({ kind: "request", id: ++id, verb, params }, fds);
        let answer = await connection.next();
        while ((answer.message as { kind: string }).kind === "event") {
          const { event } = answer.message as { event: unknown };
          const schemas: { result: z.ZodType; event?: z.ZodType } = HELPER_VERBS[verb];
          assert.ok(schemas.event?.safeParse(event).success, `${verb} event ${JSON.stringify(event)}`);
          answer = await connection.next();
        }
        for (const fd of answer.fds) closeSync(fd);
        const message = answer.message as { kind: string; id: number; result?: unknown };
        assert.equal(message.kind, "result", `${verb}: ${JSON.stringify(message)}`);
        assert.equal(message.id, id);
        assert.notEqual(message.result, undefined, verb);
        const checked = HELPER_VERBS[verb].result.safeParse(message.result);
        assert.ok(checked.success, `${verb} result ${JSON.stringify(message.result)}: ${checked.error?.message}`);
        assert.equal(answer.fds.length, HELPER_VERB_TABLE[verb].fdOut ? 1 : 0, `${verb}'s fds`);
      }
    } finally {
      connection.destroy();
    }
  });
});
