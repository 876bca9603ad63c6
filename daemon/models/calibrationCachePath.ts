import path from "node:path";

/**
 * Where the engine caches the dual path's calibration (the CPU's product rate, the H2D rate and
 * both together, per CPU model, thread count, device and weight type): ntd's state directory,
 * which systemd creates and names in STATE_DIRECTORY (ntd.service: StateDirectory=ntd, so
 * /var/lib/ntd/calibration.tsv). systemd may list several directories, colon-separated: the
 * first is ntd's own. Without one (ntd run by hand) undefined: the engine then measures once per
 * process.
 */
export function calibrationCachePath(env: NodeJS.ProcessEnv): string | undefined {
  const first = env.STATE_DIRECTORY?.split(":")[0];
  return first && path.isAbsolute(first) ? path.join(first, "calibration.tsv") : undefined;
}
