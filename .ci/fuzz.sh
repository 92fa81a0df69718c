#!/usr/bin/env bash
# Coverage-guided fuzzing of every boundary (fuzz/fuzz_targets/, one target
# per entry point in src/fuzzing.rs), briefly, on every CI run.
#
#   bash .ci/fuzz.sh                 # every target, FUZZ_SECONDS (60) each
#   FUZZ_SECONDS=600 FUZZ_SEED=0 bash .ci/fuzz.sh orders check_tools   # a longer campaign
#
# Installs the pinned cargo-fuzz when missing, writes the seed corpus
# (tests/fuzz_smoke.rs, `write_seeds`), builds all targets once with the
# stable toolchain (RUSTC_BOOTSTRAP=1: cargo-fuzz passes -Z flags), runs
# FUZZ_PARALLEL targets at a time, each for FUZZ_SECONDS, and fails on any
# crash, assertion, timeout (-timeout) or memory over -rss_limit_mb. Prints
# each target's executions, coverage (cov/ft) and corpus size.
#
# The fuzz/ workspace resolves libfuzzer-sys from crates.io (its own
# Cargo.lock pins every version): cargo reads .cargo/config.toml from the
# directory it runs in, so cargo-fuzz runs from / with --fuzz-dir, outside
# the repository's vendor/ source replacement.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

seconds="${FUZZ_SECONDS:-60}"
parallel="${FUZZ_PARALLEL:-2}"
rss_mb="${FUZZ_RSS_MB:-2048}"
timeout_s="${FUZZ_TIMEOUT:-10}"
# A fixed seed makes a CI run repeatable: the same inputs in the same order,
# so a crash is found on every run or on none (only how far a run gets
# varies with the machine's speed). FUZZ_SEED=0 lets libFuzzer pick one,
# for campaigns that should explore differently each time.
seed="${FUZZ_SEED:-1}"
cargo_fuzz_version=0.13.2
work="${FUZZ_WORK:-$root/fuzz/target/ci}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | tail -n +2)
fi

if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $cargo_fuzz_version" ]; then
  echo "installing cargo-fuzz $cargo_fuzz_version"
  started=$SECONDS
  (cd / && cargo install --locked --quiet cargo-fuzz --version "$cargo_fuzz_version")
  echo "cargo-fuzz installed in $((SECONDS - started))s"
fi

rm -rf "$work"
mkdir -p "$work/seeds" "$work/logs" "$work/tmp"
# Seeds: recorded tool outputs, example configurations, a real evidence
# chain (offline, vendored; the same build `cargo test` uses).
FUZZ_SEED_DIR="$work/seeds" cargo test --locked --offline --quiet --test fuzz_smoke write_seeds >/dev/null

started=$SECONDS
(cd / && RUSTC_BOOTSTRAP=1 cargo fuzz build --fuzz-dir "$root/fuzz" --target-dir "$root/fuzz/target")
echo "fuzz targets built in $((SECONDS - started))s"
bin_dir="$root/fuzz/target/$(rustc -vV | sed -n 's/^host: //p')/release"
# cargo-fuzz has no --locked: the build must not have changed the lock file.
git diff --exit-code -- fuzz/Cargo.lock

run_target() {
  local t=$1 corpus="$root/fuzz/corpus/$1"
  mkdir -p "$corpus" "$work/artifacts/$t"
  cp "$work/seeds/$t/"* "$corpus/"
  # -timeout: one input; -rss_limit_mb: the whole process (a leak or an
  # unbounded allocation); leak detection is ASan's, at exit.
  # The binary cargo fuzz built, run directly (`cargo fuzz run` would
  # check the build again for every target).
  TMPDIR="$work/tmp" "$bin_dir/$t" "$corpus" \
    -max_total_time="$seconds" -seed="$seed" -timeout="$timeout_s" -rss_limit_mb="$rss_mb" -malloc_limit_mb="$rss_mb" \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/$t/" -close_fd_mask=1 \
    >"$work/logs/$t.log" 2>&1
}

started=$SECONDS
declare -A pid_of
failed=()
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do
    wait -n || true
  done
  run_target "$t" &
  pid_of[$t]=$!
done
for t in "${targets[@]}"; do
  wait "${pid_of[$t]}" || failed+=("$t")
done

printf '%-14s %12s %8s %8s %8s\n' target executions cov ft corpus
for t in "${targets[@]}"; do
  log="$work/logs/$t.log"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: ' | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(find "$root/fuzz/corpus/$t" -type f | wc -l)
  printf '%-14s %12s %8s %8s %8s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$corp"
done
echo "fuzzed ${#targets[@]} targets, ${seconds}s each, $parallel at a time, in $((SECONDS - started))s"
rm -rf "$work/tmp"

if [ ${#failed[@]} -gt 0 ]; then
  for t in "${failed[@]}"; do
    echo "---- $t failed; the end of its log ($work/logs/$t.log):" >&2
    tail -n 60 "$work/logs/$t.log" >&2
    echo "crash input(s): $(ls "$work/artifacts/$t" 2>/dev/null | tr '\n' ' ')" >&2
  done
  echo "fuzzing failed: ${failed[*]} (minimise with cargo fuzz tmin, commit to tests/fuzz-regressions/<target>/)" >&2
  exit 1
fi
