#!/usr/bin/env node
// nt-nvme-helper: the root helper (DESIGN §1). Its verbs (status, place, open-image, bind,
// restore) and undo journal are not written yet; until they are, it refuses to run rather than
// pretend, so a unit file pointing at it fails loudly.
process.stderr.write("nt-nvme-helper: not yet implemented (the privileged helper arrives with its own issue)\n");
process.exit(1);
