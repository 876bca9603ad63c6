import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { sandboxDropIn } from "../nvme-helper/sandbox/sandboxDropIn.js";
import { makeHelperFixture, TEST_BDF, type HelperFixture } from "./support/makeHelperFixture.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** "Key=value" lines of a unit file or drop-in, in order. */
async function directivesOf(text: string | Promise<string>): Promise<string[]> {
  return (await text).split("\n").filter((line) => /^[A-Z]\w*=/.test(line));
}

/** Every value of `key` (ReadWritePaths=a b → a, b), in order. */
function valuesOf(directives: string[], key: string): string[] {
  return directives.filter((line) => line.startsWith(`${key}=`)).flatMap((line) => line.slice(key.length + 1).split(/\s+/)).filter(Boolean);
}

const unitFile = (name: string) => readFile(path.join(root, "systemd", name), "utf8");

let fixture: HelperFixture | undefined;
afterEach(() => {
  fixture?.remove();
  fixture = undefined;
});

/**
 * What systemd-analyze cannot judge about the root helper's units (scripts/checkUnits.sh has
 * systemd verify and score them, and checks the folders tmpfiles.d makes): that they keep the
 * socket out of user nt's reach and the sandbox as narrow as THREAT_MODEL.md says.
 */
describe("nt-nvme-helper's units", () => {
  it("listen in a folder only root can change, which is not ntd's", async () => {
    const listen = valuesOf(await directivesOf(unitFile("nt-nvme-helper.socket")), "ListenSequentialPacket");
    assert.deepEqual(listen, ["/run/nt-nvme-helper/helper.sock"], "the path protocol/helper/defaultHelperSocketPath.ts agrees on");
    const folder = path.dirname(listen[0] ?? "");
    const lines = (await unitFile("tmpfiles.d/nt-nvme-helper.conf")).split("\n").filter((line) => line.startsWith(`d ${folder} `));
    assert.deepEqual(lines.map((line) => line.split(/\s+/).slice(0, 5)), [["d", folder, "0750", "root", "nt"]]);
    const ntdRuntime = valuesOf(await directivesOf(unitFile("ntd.service")), "RuntimeDirectory");
    assert.ok(!ntdRuntime.some((dir) => `/run/${dir}` === folder), "not ntd's RuntimeDirectory (owned by nt)");
  });

  it("sandbox the helper with no capability, /sys read-only but for the attributes it writes, and no blanket device group", async () => {
    const directives = await directivesOf(unitFile("nt-nvme-helper.service"));
    for (const expected of ["CapabilityBoundingSet=", "AmbientCapabilities=", "NoNewPrivileges=yes", "ProtectSystem=strict",
      "ProtectKernelTunables=yes", "ReadOnlyPaths=/dev", "TemporaryFileSystem=/run:ro", "DevicePolicy=closed", "PrivateNetwork=yes"]) {
      assert.ok(directives.includes(expected), `nt-nvme-helper.service has ${expected}`);
    }
    assert.deepEqual(valuesOf(directives, "ReadWritePaths"),
      ["-/sys/bus/pci/drivers_probe", "-/sys/bus/pci/drivers/nvme/unbind", "-/sys/bus/pci/drivers/vfio-pci/unbind"]);
    assert.deepEqual(valuesOf(directives, "DeviceAllow"), [], "devices come only from the allowlist's drop-in");
    for (const forbidden of ["ProtectKernelTunables=no", "RuntimeDirectory=", "User="]) {
      assert.ok(!directives.some((line) => line.startsWith(forbidden)), `no ${forbidden}`);
    }
    assert.match(valuesOf(directives, "ExecStart").join(" "), /--exit-when-idle \d+/, "DeviceAllow= is resolved afresh at each start");
  });

  it("leave writable every sysfs file that bind and restore write, with the allowlist's drop-in", async () => {
    fixture = makeHelperFixture();
    const monitor = fixture.monitor();
    await monitor.bind({ device: TEST_BDF });
    await monitor.restore({ device: TEST_BDF });
    // FakeKernelSysfs logs each of SysfsTree's three writes as "<file>=<value>"; these are their paths on /sys.
    const written = new Set(fixture.kernel.writes.map((write) => {
      const file = write.slice(0, write.indexOf("="));
      if (file === "driver_override") return `/sys/bus/pci/devices/${TEST_BDF}/driver_override`;
      if (file === "drivers_probe") return "/sys/bus/pci/drivers_probe";
      return `/sys/bus/pci/drivers/${file}`;
    }));
    assert.deepEqual([...written].sort(), [`/sys/bus/pci/devices/${TEST_BDF}/driver_override`, "/sys/bus/pci/drivers/nvme/unbind",
      "/sys/bus/pci/drivers/vfio-pci/unbind", "/sys/bus/pci/drivers_probe"]);
    const writable = [...valuesOf(await directivesOf(unitFile("nt-nvme-helper.service")), "ReadWritePaths"),
      ...valuesOf(await directivesOf(sandboxDropIn(fixture.config, "/etc/ntd/helper.json")), "ReadWritePaths")]
      .map((entry) => entry.replace(/^-/, ""));
    for (const file of written) assert.ok(writable.includes(file), `${file} is writable in the sandbox`);
  });

  it("ntd.service no longer keeps /run/ntd when ntd stops (nothing of the helper's is in it)", async () => {
    const directives = await directivesOf(unitFile("ntd.service"));
    assert.ok(!directives.some((line) => line.startsWith("RuntimeDirectoryPreserve=")), "RuntimeDirectoryPreserve= stays at its default, no");
  });
});
