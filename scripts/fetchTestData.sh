#!/usr/bin/env bash
# fetchTestData.sh [DIR]: downloads the test data (README, "Test data") from its public sources
# into DIR and checks each file's sha256; a file already there with the right sha256 is kept.
#   DIR                    default: $NT_TEST_DATA, else ~/.cache/ntransformer/testdata
#                          ($XDG_CACHE_HOME/ntransformer/testdata), where the tests look when
#                          NT_TEST_DATA is unset
#   NT_TEST_DATA_BASE_URL  fetch every file from <base>/<its path in DIR> instead (a mirror, or
#                          a local server in the script's own test)
#   NT_FETCH_TOOL          curl or node (default: curl when installed, else node's fetch)
# Each file is written under a temporary name beside its place and moved there only once its
# sha256 matches, so a failed or corrupted download leaves nothing half-written; the script then
# stops, naming the file, and exits 1.
set -euo pipefail

# path in DIR | public source (pinned to a revision, so the bytes cannot change under the hash) | sha256
LLAMA_CPP=https://raw.githubusercontent.com/ggml-org/llama.cpp/807b0c49ff7071094f97ebc3a0a8e2b9e274f503/models
files=(
  "stories260K.gguf|https://huggingface.co/ggml-org/models-moved/resolve/499bc8821c6b12b4e53c5bffcb21ec206f212d81/tinyllamas/stories260K.gguf|270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d"
  "vocab/ggml-vocab-llama-spm.gguf|$LLAMA_CPP/ggml-vocab-llama-spm.gguf|16c3724582d59aa8bf84711894e833f916ee46a31d80e21312759c48bf8d0e69"
  "vocab/ggml-vocab-llama-spm.gguf.inp|$LLAMA_CPP/ggml-vocab-llama-spm.gguf.inp|ef7a25a263fba141f64a8a842ceb1c572cdb8e1313f592d974f7a06bbd3a4934"
  "vocab/ggml-vocab-llama-spm.gguf.out|$LLAMA_CPP/ggml-vocab-llama-spm.gguf.out|ea602819af9f9af53a7af285a284ee810e70a4a14a5972e4c891ccd683488af5"
  "vocab/ggml-vocab-gpt-2.gguf|$LLAMA_CPP/ggml-vocab-gpt-2.gguf|cedc56ca6e2e89f63e781696d1fd76b4b1d49e6720dee86463e915f6e90016ac"
  "vocab/ggml-vocab-gpt-2.gguf.inp|$LLAMA_CPP/ggml-vocab-gpt-2.gguf.inp|ef7a25a263fba141f64a8a842ceb1c572cdb8e1313f592d974f7a06bbd3a4934"
  "vocab/ggml-vocab-gpt-2.gguf.out|$LLAMA_CPP/ggml-vocab-gpt-2.gguf.out|a2630e9cf29c0ddbd9fd79fe358dc83e80af779f886eeaa7627dbfdeec54bae6"
)

default_dir="${XDG_CACHE_HOME:-$HOME/.cache}/ntransformer/testdata"
dir=${1:-${NT_TEST_DATA:-$default_dir}}
tool=${NT_FETCH_TOOL:-$(command -v curl >/dev/null && echo curl || echo node)}

# download URL FILE: the body of URL into FILE; non-zero (and a message) on any HTTP error.
download() {
  case "$tool" in
    curl) curl --fail --silent --show-error --location --retry 2 --output "$2" "$1" ;;
    node) node --input-type=module -e '
      const [url, file] = process.argv.slice(1);
      try {
        const response = await fetch(url);
        if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
        await (await import("node:fs/promises")).writeFile(file, Buffer.from(await response.arrayBuffer()));
      } catch (error) {
        console.error(`node fetch: ${url}: ${error.cause?.message ?? error.message}`);
        process.exit(1);
      }
    ' "$1" "$2" ;;
    *) echo "fetchTestData: NT_FETCH_TOOL must be curl or node (got '$tool')" >&2; return 2 ;;
  esac
}

sha256() { sha256sum "$1" | cut -d' ' -f1; }

partial=""
trap '[[ -n "$partial" ]] && rm -f "$partial"' EXIT

fetched=0
for entry in "${files[@]}"; do
  IFS='|' read -r name url expected <<<"$entry"
  [[ -n "${NT_TEST_DATA_BASE_URL:-}" ]] && url="${NT_TEST_DATA_BASE_URL%/}/$name"
  target="$dir/$name"
  if [[ -f "$target" ]]; then
    [[ "$(sha256 "$target")" == "$expected" ]] && continue
    echo "fetchTestData: $name in $dir has another sha256 than expected: fetching it again"
  fi
  mkdir -p "$(dirname "$target")"
  partial=$(mktemp "$target.partial.XXXXXX")
  echo "fetchTestData: $name <- $url"
  if ! download "$url" "$partial"; then
    echo "fetchTestData: could not download $name from $url; nothing written for it" >&2
    exit 1
  fi
  actual=$(sha256 "$partial")
  if [[ "$actual" != "$expected" ]]; then
    echo "fetchTestData: $name from $url has sha256 $actual, expected $expected" \
      "(a corrupted download or a changed source); nothing written for it" >&2
    exit 1
  fi
  chmod 0644 "$partial"
  mv -f "$partial" "$target"
  partial=""
  fetched=$((fetched + 1))
done

echo "fetchTestData: ${#files[@]} files in $dir, each with its expected sha256 ($fetched fetched now)"
if [[ "$(realpath -m "$dir")" != "$(realpath -m "$default_dir")" ]]; then
  echo "fetchTestData: the tests look there with: export NT_TEST_DATA=$(realpath -m "$dir")"
fi
