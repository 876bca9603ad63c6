// Runs one helper verb in a process of its own against a fake sysfs tree, and SIGKILLs itself
// right after the privileged write named by `crashAfter` — what kill -9 of the helper at that
// step leaves behind (journal and tree), for nvmeHelperJournal.test.ts to repair.
import { HelperMonitor } from "../../nvme-helper/HelperMonitor.js";
import type { HelperConfig } from "../../nvme-helper/config/helperConfigSchema.js";
import { UndoJournal } from "../../nvme-helper/journal/UndoJournal.js";
import { FakeKernelSysfs, type FakePciDevice } from "./FakeKernelSysfs.js";

interface CrashPlan {
  root: string;
  devices: FakePciDevice[];
  config: HelperConfig;
  journal: string;
  procRoot: string;
  devRoot: string;
  verb: "bind" | "restore";
  device: string;
  crashAfter: string;
}

const plan = JSON.parse(process.argv[2] ?? "{}") as CrashPlan;
const monitor = new HelperMonitor({
  config: plan.config,
  sysfs: FakeKernelSysfs.reopen(plan.root, plan.devices),
  journal: new UndoJournal(plan.journal),
  procRoot: plan.procRoot,
  devRoot: plan.devRoot,
  afterStep: (step) => {
    if (step === plan.crashAfter) process.kill(process.pid, "SIGKILL");
  },
});
await monitor.repair();
await monitor[plan.verb]({ device: plan.device });
process.stdout.write("finished without reaching the crash step\n");
