#!/bin/bash
# Builds the fuzz targets with clang in BUILD_DIR and runs each for SECONDS
# seconds on its generated seed corpus plus what earlier runs found: the
# DNS parser, then the DoH HTTP/1.1 and HTTP/2 sessions.
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
cmake --build "$build_dir" --target dns_message_fuzz dns_fuzz_seeds doh_session_fuzz \
  doh_fuzz_seeds -j "$jobs"

# Runs target $1 on the seeds that program $2 writes, with the remaining
# arguments passed to libFuzzer. New inputs go to the corpus directory; the
# seeds stay as generated.
run_target() {
  local target=$1 seed_writer=$2
  shift 2
  local seeds="$build_dir/fuzz-seeds/$target" corpus="$build_dir/fuzz-corpus/$target"
  local artifacts="$build_dir/fuzz-artifacts"
  mkdir -p "$seeds" "$corpus" "$artifacts"
  "$build_dir/tests/fuzz/$seed_writer" "$seeds"
  echo "fuzz: $target for $seconds s"
  "$build_dir/tests/fuzz/$target" \
    -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$@" \
    "$corpus" "$seeds"
}

# -max_len 65535: the largest DNS message. -rss_limit_mb bounds memory on a
# shared machine.
run_target dns_message_fuzz dns_fuzz_seeds -max_len=65535
# 16 KiB covers a head at the size limit the target sets (1 KiB) and
# several pipelined requests or HTTP/2 frames.
run_target doh_session_fuzz doh_fuzz_seeds -max_len=16384
