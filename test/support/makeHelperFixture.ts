import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { HelperConfig } from "../../nvme-helper/config/helperConfigSchema.js";
import { HelperMonitor, type HelperMonitorOptions } from "../../nvme-helper/HelperMonitor.js";
import { UndoJournal } from "../../nvme-helper/journal/UndoJournal.js";
import { attachLoopNamespace, type LoopNamespace } from "./attachLoopNamespace.js";
import { FakeKernelSysfs, type FakePciDevice } from "./FakeKernelSysfs.js";
import { loopDevicesUnavailable } from "./loopDevicesUnavailable.js";

/** The allowlisted test device: an NVMe controller at 0000:01:00.0 with serial S1, alone in IOMMU group 1. */
export const TEST_BDF = "0000:01:00.0";

/** A fake machine for nt-nvme-helper tests, all under one temporary folder. */
export interface HelperFixture {
  dir: string;
  sysfsRoot: string;
  procRoot: string;
  /** Block device nodes (the namespaces' loop devices): the helper never looks at the real /dev here. */
  devRoot: string;
  /**
   * A loop device per NVMe namespace, by PCI address, when loop devices can be had (root and
   * losetup; loopDevicesUnavailable): bind claims a namespace's block device O_EXCL, so it needs a
   * real one. Empty otherwise.
   */
  namespaces: Map<string, LoopNamespace>;
  journalFile: string;
  devices: FakePciDevice[];
  config: HelperConfig;
  kernel: FakeKernelSysfs;
  /** A monitor over this machine (a fresh one per call: what a restarted helper is). */
  monitor(options?: Partial<HelperMonitorOptions>): HelperMonitor;
  remove(): void;
}

/**
 * Builds the fake machine: `devices` (default: the test device only) in a fake sysfs tree, each
 * NVMe namespace backed by a loop device of `namespaceBytes` (default 1 MiB) where loop devices
 * can be had, an empty /proc (nothing mounted, no swap), a journal path, and a config allowlisting
 * TEST_BDF by serial "S1" with a 1 GiB image area.
 */
export function makeHelperFixture(devices: FakePciDevice[] = [{ bdf: TEST_BDF, serial: "S1", eui64: "e1" }],
  options: { namespaceBytes?: number } = {}): HelperFixture {
  const dir = mkdtempSync(path.join(os.tmpdir(), "nth-"));
  const sysfsRoot = path.join(dir, "sys");
  const procRoot = path.join(dir, "proc");
  mkdirSync(sysfsRoot);
  const devRoot = path.join(dir, "dev");
  mkdirSync(devRoot);
  const namespaces = new Map<string, LoopNamespace>();
  if (loopDevicesUnavailable() === undefined) {
    for (const device of devices.filter((candidate) => (candidate.classCode ?? "0x010802") === "0x010802" && (candidate.nativeDriver ?? "nvme") === "nvme")) {
      const namespace = attachLoopNamespace(dir, devRoot, `nvme${device.index ?? 0}n1`, options.namespaceBytes ?? 1 << 20);
      namespaces.set(device.bdf, namespace);
      device.namespaceDevNumber = namespace.devNumber;
    }
  }
  mkdirSync(path.join(procRoot, "self"), { recursive: true });
  writeFileSync(path.join(procRoot, "self/mountinfo"), "22 1 0:21 / / rw - ext4 /dev/sda1 rw\n");
  writeFileSync(path.join(procRoot, "swaps"), "Filename\tType\tSize\tUsed\tPriority\n");
  const journalFile = path.join(dir, "helper-journal");
  const config: HelperConfig = {
    allowedUids: [],
    allowedGids: [],
    devices: [{ bdf: TEST_BDF, serial: "S1", imageArea: { startLba: 2048, sizeBytes: 1 << 30 } }],
  };
  const kernel = FakeKernelSysfs.create(sysfsRoot, devices);
  return {
    dir, sysfsRoot, procRoot, devRoot, namespaces, journalFile, devices, config, kernel,
    monitor: (options = {}) => new HelperMonitor({
      config, sysfs: kernel, journal: new UndoJournal(journalFile), procRoot, devRoot, restoreTimeoutMs: 2000, ...options,
    }),
    remove: () => {
      try {
        for (const namespace of namespaces.values()) namespace.detach();
      } finally {
        namespaces.clear();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
