#!/bin/bash
# Builds the DNS parser fuzz target with clang in BUILD_DIR and runs it for
# SECONDS seconds on the generated seed corpus plus what earlier runs found.
#   tests/fuzz/run_fuzz.sh BUILD_DIR SECONDS
# Exits non-zero when the build fails or the fuzzer finds a crash, leak or
# failed check; the crashing input is left in BUILD_DIR/fuzz-artifacts/.
set -euo pipefail

if [[ $# -ne 2 || ! "$2" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build_dir=$(realpath -m "$1")
seconds=$2
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
jobs=${ZTGATE_FUZZ_BUILD_JOBS:-2}

mkdir -p "$build_dir"
cmake -S "$source_dir" -B "$build_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DZTGATE_FUZZ=ON >"$build_dir/fuzz-configure.log" 2>&1 || {
  cat "$build_dir/fuzz-configure.log" >&2
  exit 1
}
cmake --build "$build_dir" --target dns_message_fuzz dns_fuzz_seeds -j "$jobs"

seeds="$build_dir/fuzz-seeds"
corpus="$build_dir/fuzz-corpus"
artifacts="$build_dir/fuzz-artifacts"
mkdir -p "$seeds" "$corpus" "$artifacts"
"$build_dir/tests/fuzz/dns_fuzz_seeds" "$seeds"

# New inputs go to the first directory; the seeds stay as generated.
# -max_len 65535: the largest DNS message. -rss_limit_mb bounds memory on a
# shared machine.
"$build_dir/tests/fuzz/dns_message_fuzz" \
  -max_total_time="$seconds" -max_len=65535 -rss_limit_mb=1024 -timeout=10 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" \
  "$corpus" "$seeds"
