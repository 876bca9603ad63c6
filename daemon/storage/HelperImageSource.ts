import { NtError } from "../../protocol/NtError.js";
import { HelperClient } from "../../protocol/helper/HelperClient.js";
import type { OpenedRawImage, RawImageSource } from "./RawImageSource.js";

/**
 * Raw images as nt-nvme-helper reports them: `status` finds the device whose valid image has the
 * name, `open-image` hands over its fd. One connection per call; the socket path is read at each
 * call, so a reloaded configuration applies to the next load.
 */
export class HelperImageSource implements RawImageSource {
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
      throw new NtError("NT_E_ENGINE_UNAVAILABLE", `the raw storage backend needs nt-nvme-helper: ${error.message}. `
        + "Start nt-nvme-helper.socket, or point ntd's helperSocket (NT_HELPER_SOCKET, --helper-socket) at its socket", { cause: err });
    } finally {
      client?.close();
    }
  }
}
