// The fake engine as an addon module, for daemons started as child processes: point
// NT_ENGINE_ADDON at this file's compiled .js. loadEngine() require()s the addon; Node ≥ 20.19
// can require an ES module, and the "module.exports" export name makes require() return the
// binding itself rather than a namespace object. NT_FAKE_TOKEN_DELAY_MS sets the token delay.
import { fakeEngine } from "./fakeEngine.js";

const delay = Number(process.env.NT_FAKE_TOKEN_DELAY_MS ?? "2");
const addon = fakeEngine({ tokenDelayMs: Number.isFinite(delay) ? delay : 2 });

export { addon as "module.exports" };
