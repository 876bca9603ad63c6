// The product path of the vfio storage backend in the QEMU guest (issue 15), run by
// guestVfioProof.ts once stories260K is placed and the controller bound to vfio-pci: the real
// ntd, as an unprivileged user, loads the image with `--storage vfio` and tier C forced — the
// engine reads the GGUF header, the resident tiers and every pass's tier C through the helper's
// data plane, with no block device — and its greedy tokens must equal those of the same model
// loaded by ntd from its file. Unloading ends the data-plane session.
import assert from "node:assert/strict";
import { chmodSync } from "node:fs";
import { NtClient } from "../../ctl/NtClient.js";
import { GuestNtdProcess } from "./GuestNtdProcess.js";
import { allInTierC, GUEST_LOAD as LOAD, GUEST_RESIDENT as RESIDENT } from "./tierCBudgets.js";

const PROMPT = Array.from({ length: 16 }, (_, i) => (i * 37 + 5) % 256);
const TOKENS = 24;

/** Options of checkNtdVfioLoad. */
export interface NtdVfioLoadOptions {
  /** The device bound to vfio-pci, holding the image `name`. */
  bdf: string;
  name: string;
  /** The GGUF the image was placed from, readable by `uid`: ntd's file load to compare with. */
  gguf: string;
  helperSocket: string;
  /** ntd's uid, allowed by the helper's configuration. */
  uid: number;
  /** Where ntd keeps its socket. */
  dir: string;
  /** Resolves once the helper has logged the end of one more session (the one ntd's unload ends). */
  sessionEnded: () => Promise<void>;
}

/** Resolves with the greedy tokens, equal through the data plane and from the file. */
export async function checkNtdVfioLoad(options: NtdVfioLoadOptions): Promise<number[]> {
  // The helper's socket is root's 0660 by hand (systemd gives it group nt): open it to the peer
  // check alone, which still admits only the configured uid.
  chmodSync(options.helperSocket, 0o666);
  const budgets = await allInTierC(options.gguf);
  const ntd = await GuestNtdProcess.start({ uid: options.uid, dir: options.dir, helperSocket: options.helperSocket });
  const client = await NtClient.connect({ socketPath: ntd.socketPath });
  try {
    await client.request("load", { model: options.gguf, name: "from-file", ...LOAD, ...RESIDENT });
    const vfio = await client.request("load", { model: options.name, storage: "vfio", ...LOAD, ...budgets });
    assert.equal(vfio.path, `vfio:${options.bdf}/${options.name}`);
    assert.ok((vfio.info.placement?.bytes.streamed ?? 0) > 0, "tier C is empty: nothing streams through the data plane");
    const greedy = async (model: string) =>
      (await client.request("generate", { model, tokens: PROMPT, maxTokens: TOKENS, temperature: 0, ignoreEos: true })).tokens;
    const fromFile = await greedy("from-file");
    assert.equal(fromFile.length, TOKENS);
    assert.deepEqual(await greedy(options.name), fromFile, "greedy tokens through the data plane differ from the file's");
    const status = (await client.request("status", {})).models.find((m) => m.name === options.name);
    assert.equal(status?.storage, "vfio");
    const perPass = status?.stages?.perPass;
    assert.ok(perPass && (status?.stages?.bytesRead ?? 0) > 0, "status shows no reads");
    process.stdout.write(`guest: ntd (uid ${options.uid}) streamed ${status?.stages?.bytesRead} bytes through the data plane, `
      + `read ${perPass.readMs.toFixed(2)} ms per pass (emulated); tokens ${JSON.stringify(fromFile.slice(0, 8))}…\n`);
    const ended = options.sessionEnded();
    await client.request("unload", { model: options.name });
    await ended;
    return fromFile;
  } catch (err) {
    throw new Error(`${(err as Error).message}; ntd said: ${ntd.output.slice(-1500)}`, { cause: err });
  } finally {
    client.close();
    await ntd.stop();
  }
}
