/**
 * Every privileged step of bind and restore after which nt-nvme-helper's crash hook
 * (NT_HELPER_TEST_CRASH_AT) can kill it, with what a kill -9 right there leaves in the kernel:
 * the device's driver and its driver_override (the kernel shows an unset one as "(null)").
 */
export const HELPER_CRASH_STEPS: ReadonlyArray<{ step: string; verb: "bind" | "restore"; left: { driver: string | null; driverOverride: string } }> = [
  { step: "bind:override", verb: "bind", left: { driver: "nvme", driverOverride: "vfio-pci" } },
  { step: "bind:unbind", verb: "bind", left: { driver: null, driverOverride: "vfio-pci" } },
  { step: "bind:probe", verb: "bind", left: { driver: "vfio-pci", driverOverride: "vfio-pci" } },
  { step: "bind:clear-override", verb: "bind", left: { driver: "vfio-pci", driverOverride: "(null)" } },
  { step: "restore:clear-override", verb: "restore", left: { driver: "vfio-pci", driverOverride: "(null)" } },
  { step: "restore:unbind", verb: "restore", left: { driver: null, driverOverride: "(null)" } },
  { step: "restore:probe", verb: "restore", left: { driver: "nvme", driverOverride: "(null)" } },
];
