#!/usr/bin/env bash
# What the tests need from the system (Debian/Ubuntu packages), installed when missing. `npm test`
# runs it first and `.ci/run` calls it too, so CI proves the list is complete.
#   - all present (asked of dpkg-query, not found by trying): prints one line, installs nothing;
#   - missing and root: apt-get installs exactly the missing packages, saying which;
#   - missing and not root: stops (exit 1) and prints the command to run.
# NT_SKIP_TEST_DEPS=1 skips the check (a machine that is not Debian-based, set up by hand).
set -euo pipefail

# cmake, ninja, g++, make and python3 build the engine and the node-gyp addons. GoogleTest runs
# the C++ unit tests under ctest. clang-14 with its libFuzzer and sanitizer runtimes builds the
# GGUF reader's fuzz target (scripts/fuzzGguf.sh). QEMU, static busybox, cpio and xz build and
# boot the guest in which test/nvmeHelperQemu.test.ts proves the root helper against the real
# nvme and vfio-pci drivers (scripts/qemu/; the guest kernel is Debian's, fetched with
# apt-get download). systemd and udev are what test/systemdServicesQemu.test.ts's guest boots,
# from this machine's root, to prove the installed units; git copies the checkout it installs.
packages=(
  cmake ninja-build g++ make python3
  libgtest-dev
  clang-14 libclang-rt-14-dev libfuzzer-14-dev
  qemu-system-x86 busybox-static cpio xz-utils
  systemd udev git
)

if [[ "${NT_SKIP_TEST_DEPS:-}" == "1" ]]; then
  echo "test dependencies: check skipped (NT_SKIP_TEST_DEPS=1)"
  exit 0
fi
if ! command -v dpkg-query >/dev/null; then
  echo "test dependencies: dpkg-query not found; this script knows Debian's packages only." >&2
  echo "Install the equivalents of: ${packages[*]}; then rerun with NT_SKIP_TEST_DEPS=1." >&2
  exit 1
fi

missing=()
for package in "${packages[@]}"; do
  # "installed" only for a package fully installed (not merely known, unpacked or removed).
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$package")
done

if (( ${#missing[@]} == 0 )); then
  echo "test dependencies: all ${#packages[@]} Debian packages present"
  exit 0
fi

command=(apt-get install -y --no-install-recommends "${missing[@]}")
if [[ "$(id -u)" != "0" ]]; then
  echo "test dependencies: missing ${missing[*]}" >&2
  echo "Install them as root, then rerun the tests:" >&2
  echo "  sudo apt-get update && sudo ${command[*]}" >&2
  exit 1
fi

echo "test dependencies: installing ${missing[*]} (apt-get, as root)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
"${command[@]}" -qq >/dev/null
echo "test dependencies: installed ${missing[*]}"
