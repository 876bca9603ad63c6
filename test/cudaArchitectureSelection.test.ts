import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const MODULE = path.join(root, "cuda-engine/cmake/nt_cuda_select.cmake");

/**
 * The engine build's CUDA decision (cuda-engine/cmake/nt_cuda_select.cmake), run as a CMake
 * script with stand-ins for nvcc and nvidia-smi, so it is checked the same on machines with and
 * without a GPU or a CUDA toolkit.
 */
describe("NT_WITH_CUDA: which CUDA architectures the engine compiles", () => {
  let bin: string;

  before(async () => {
    bin = await mkdtemp(path.join(os.tmpdir(), "nt-cuda-select-"));
    await stub("nvcc", "echo 'Cuda compilation tools, release 12.4, V12.4.131'");
    // A machine with two GPU kinds, one of them twice.
    await stub("nvidia-smi-gpus", "echo 8.6; echo 9.0; echo 8.6");
    // nvidia-smi without a loaded driver: what it prints and its status.
    await stub("nvidia-smi-no-driver", "echo \"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\"; exit 9");
  });
  after(() => rm(bin, { recursive: true, force: true }));

  async function stub(name: string, body: string): Promise<void> {
    await writeFile(path.join(bin, name), `#!/bin/sh\n${body}\n`);
    await chmod(path.join(bin, name), 0o755);
  }

  /** The decision for `mode` and `requested` architectures, with `nvcc` and `smi` ("" = none). */
  function select(mode: string, requested: string, nvcc: string, smi: string) {
    const result = spawnSync("cmake", [`-DMODE=${mode}`, `-DREQUESTED=${requested}`,
      `-DNVCC=${nvcc === "" ? "CMAKE_CUDA_COMPILER-NOTFOUND" : path.join(bin, nvcc)}`, "-P", MODULE], {
      encoding: "utf8",
      env: { ...process.env, NT_NVIDIA_SMI: smi === "" ? path.join(bin, "no-such-nvidia-smi") : path.join(bin, smi) },
    });
    const output = result.stdout + result.stderr;
    const lines = output.split("\n").filter((line) => line.startsWith("-- ntransformer: ")).map((line) => line.slice(3));
    return { status: result.status, output, lines, architectures: /-- architectures=(.*)/.exec(output)?.[1] };
  }

  it("AUTO with nvcc and no GPU: CPU only, in one line naming both", () => {
    for (const smi of ["", "nvidia-smi-no-driver"]) {
      const result = select("AUTO", "", "nvcc", smi);
      assert.equal(result.status, 0, result.output);
      assert.deepEqual(result.lines, ["ntransformer: engine: CPU only (no GPU found; nvcc 12.4 present)"]);
      assert.equal(result.architectures, "");
    }
  });

  it("AUTO with GPUs: CUDA for each compute capability present, once", () => {
    const result = select("AUTO", "", "nvcc", "nvidia-smi-gpus");
    assert.deepEqual(result.lines, ["ntransformer: engine: CUDA for sm_86, sm_90 (the GPUs present) and CPU"]);
    assert.equal(result.architectures, "86;90");
  });

  it("AUTO with GPUs and NT_CUDA_ARCHITECTURES: the list given", () => {
    const result = select("AUTO", "89", "nvcc", "nvidia-smi-gpus");
    assert.deepEqual(result.lines, ["ntransformer: engine: CUDA for sm_89 (NT_CUDA_ARCHITECTURES) and CPU"]);
    assert.equal(result.architectures, "89");
  });

  it("AUTO without nvcc: CPU only, saying so", () => {
    const result = select("AUTO", "", "", "nvidia-smi-gpus");
    assert.deepEqual(result.lines, ["ntransformer: engine: CPU only (no nvcc found)"]);
  });

  it("ON builds any list without a GPU (CI: sm_80), and the four generations by default", () => {
    assert.equal(select("ON", "80", "nvcc", "").architectures, "80");
    const all = select("ON", "", "nvcc", "");
    assert.equal(all.architectures, "80;86;89;90");
    assert.deepEqual(all.lines, ["ntransformer: engine: CUDA for sm_80, sm_86, sm_89, sm_90 (NT_WITH_CUDA=ON) and CPU"]);
  });

  it("OFF is CPU only; any other word stops the build naming it", () => {
    assert.deepEqual(select("OFF", "", "nvcc", "nvidia-smi-gpus").lines, ["ntransformer: engine: CPU only (NT_WITH_CUDA=OFF)"]);
    const wrong = select("maybe", "", "nvcc", "");
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.output, /NT_WITH_CUDA must be AUTO, ON or OFF \(got 'maybe'\)/);
  });
});
