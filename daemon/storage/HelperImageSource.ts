import { setTimeout as sleep } from "node:timers/promises";
import { NtError } from "../../protocol/NtError.js";
import { HelperClient } from "../../protocol/helper/HelperClient.js";
import type { HelperDeviceStatus } from "../../protocol/helper/helperDeviceStatusSchema.js";
import type { DataplaneSource, OpenedDataplane } from "./DataplaneSource.js";
import { endDataplaneSession } from "./endDataplaneSession.js";
import type { OpenedRawImage, RawImageSource } from "./RawImageSource.js";

/**
 * How long open-dataplane is retried while the device still serves a session: the one this daemon
 * just ended (an unload before a reload) is swept by the helper within its idle wait.
 */
const BUSY_RETRY_MS = 3000;
const BUSY_POLL_MS = 100;

/**
 * Placed images as nt-nvme-helper reports them: `status` finds the device whose valid image has the
 * name, `open-image` hands over its fd (raw), `open-dataplane` a session's memfd (vfio). One
 * connection per call; the socket path is read at each call, so a reloaded configuration applies
 * to the next load.
 */
export class HelperImageSource implements RawImageSource, DataplaneSource {
  readonly #socketPath: () => string;

  constructor(socketPath: () => string) {
    this.#socketPath = socketPath;
  }

  async locate(name: string): Promise<{ bdf: string }> {
    const { devices } = await this.#withClient((client) => client.request("status", {}));
    const device = devices.find((d) => d.image?.state === "valid" && d.image.name === name);
    if (!device) {
      const placed = devices.flatMap((d) => (d.image?.state === "valid" ? [`${d.image.name} (${d.bdf})`] : []));
      throw new NtError("NT_E_MODEL_NOT_FOUND", `no valid raw image named ${name} on nt-nvme-helper's devices `
        + `(${placed.length > 0 ? `placed: ${placed.join(", ")}` : "none holds a valid image"}); place it with ntctl place FILE --device BDF --name ${name}`);
    }
    return { bdf: device.bdf };
  }

  async open(bdf: string): Promise<OpenedRawImage> {
    const opened = await this.#withClient((client) => client.openImage({ device: bdf }));
    return { bdf: opened.device, name: opened.image.name, fd: opened.fd, offsetBytes: opened.offsetBytes, sizeBytes: opened.image.sizeBytes };
  }

  async locateBound(name: string): Promise<{ bdf: string }> {
    const { devices } = await this.#withClient((client) => client.request("status", {}));
    const bound = devices.filter((d) => d.driver === "vfio-pci");
    const [only] = bound;
    // One device bound: its session checks the name at load time (resolveModelSource).
    if (bound.length === 1 && only) return { bdf: only.bdf };
    for (const device of bound) {
      const session = await this.openDataplane(device.bdf);
      endDataplaneSession(session.fd);
      if (session.name === name) return { bdf: device.bdf };
    }
    throw new NtError("NT_E_MODEL_NOT_FOUND", notBoundMessage(name, devices, bound.length));
  }

  async openDataplane(bdf: string): Promise<OpenedDataplane> {
    const deadline = Date.now() + BUSY_RETRY_MS;
    for (;;) {
      try {
        const opened = await this.#withClient((client) => client.openDataplane({ device: bdf }));
        return { bdf: opened.device, name: opened.image.name, fd: opened.fd, sizeBytes: opened.image.sizeBytes };
      } catch (err) {
        if (NtError.from(err).code !== "NT_E_BUSY" || Date.now() > deadline) throw err;
        await sleep(BUSY_POLL_MS);
      }
    }
  }

  async #withClient<T>(use: (client: HelperClient) => Promise<T>): Promise<T> {
    const socketPath = this.#socketPath();
    let client: HelperClient | undefined;
    try {
      client = await HelperClient.connect(socketPath);
      return await use(client);
    } catch (err) {
      const error = NtError.from(err);
      // "Daemon unreachable" is the client's code for ntd itself; here the backend is what is missing.
      if (error.code !== "NT_E_DAEMON_UNREACHABLE") throw error;
      throw new NtError("NT_E_ENGINE_UNAVAILABLE", `the raw and vfio storage backends need nt-nvme-helper: ${error.message}. `
        + "Start nt-nvme-helper.socket, or point ntd's helperSocket (NT_HELPER_SOCKET, --helper-socket) at its socket", { cause: err });
    } finally {
      client?.close();
    }
  }
}

/** Why no bound device serves `name`: none is bound, or the image is on a device still on nvme. */
function notBoundMessage(name: string, devices: readonly HelperDeviceStatus[], bound: number): string {
  const onNvme = devices.find((d) => d.image?.state === "valid" && d.image.name === name);
  const where = onNvme ? `; the image ${name} is on ${onNvme.bdf}, which is on ${onNvme.driver ?? "no driver"}: `
    + `bind it first (ntctl bind ${onNvme.bdf}), or load it with --storage raw` : "";
  return bound === 0
    ? `no allowlisted device is bound to vfio-pci, which --storage vfio reads through${where}`
    : `none of the ${bound} devices bound to vfio-pci holds a valid image named ${name}${where}`;
}
