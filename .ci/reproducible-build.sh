#!/usr/bin/env bash
# Reproducible release build (issue 12; docs/reproducible-builds.md).
#
#   .ci/reproducible-build.sh                 build the committed tree twice, from two
#                                             directories, and compare (CI runs this)
#   .ci/reproducible-build.sh --once          build once and print the hash (auditors)
#   .ci/reproducible-build.sh --once --expect SHA256
#                                             ... and fail unless the hash is SHA256
#                                             (the one `compliance-agent --version` prints)
#
# Every build takes the committed tree of HEAD (`git archive`, so local edits
# and untracked files never reach it), lays it out at a path that differs from
# the other build's (and from the checkout), and builds it with
# `cargo build --release --locked --offline` under a cleared environment:
#
#   SOURCE_DATE_EPOCH      the commit's time (for any tool that would embed a date)
#   COMPLIANCE_AGENT_BUILD_REV  the first 12 hex digits of the commit (build.rs)
#   CARGO_HOME             an empty directory: no user cargo config, no registry
#   CARGO_TARGET_DIR       a fixed directory per copy
#   CARGO_ENCODED_RUSTFLAGS  --remap-path-prefix for the copy, the target dir and
#                          CARGO_HOME (panic locations name vendored files)
#   CFLAGS                 -ffile-prefix-map for the same (SQLite, ring's C)
#   LC_ALL=C, TZ=UTC, umask 022
#
# The binary is left at $REPRO_WORK/compliance-agent for later CI steps.
# REPRO_WORK defaults to target/reproducible in this checkout; its path must
# have no white space (CFLAGS is split on it).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
once=false
expect=
while [ $# -gt 0 ]; do
  case "$1" in
    --once) once=true ;;
    --expect) expect=${2:?--expect needs a SHA-256}; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--once] [--expect SHA256]" >&2; exit 2 ;;
  esac
  shift
done
if [ -n "$expect" ] && ! [[ $expect =~ ^[0-9a-f]{64}$ ]]; then
  echo "--expect: not a lower-case hex SHA-256: $expect" >&2
  exit 2
fi

work=${REPRO_WORK:-$root/target/reproducible}
case "$work" in
  /*) ;;
  *) work=$PWD/$work ;;
esac
if [[ $work =~ [[:space:]] ]]; then
  echo "REPRO_WORK must not contain white space: $work" >&2
  exit 2
fi

cd "$root"
rev=$(git rev-parse HEAD)
epoch=$(git log -1 --format=%ct HEAD)
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "note: the work tree has uncommitted changes; they are not built (HEAD $rev is)" >&2
fi

copy_src() { # DIR: the committed tree of HEAD, and nothing else
  rm -rf "$1"
  mkdir -p "$1"
  git archive --format=tar HEAD | tar -x -C "$1"
}

build() { # NAME SRC TARGET LOG
  local name=$1 src=$2 target=$3 log=$4 home
  home=$(dirname "$target")/cargo-home
  rm -rf "$target" "$home"
  mkdir -p "$target" "$home"
  # vendor/ is inside the copy, so the first covers the vendored crates.
  local remap=(
    "--remap-path-prefix=$src=/compliance-agent"
    "--remap-path-prefix=$target=/compliance-agent/target"
    "--remap-path-prefix=$home=/cargo-home"
  )
  local rustflags
  rustflags=$(printf '%s\x1f' "${remap[@]}")
  rustflags=${rustflags%$'\x1f'}
  local cflags="-ffile-prefix-map=$src=/compliance-agent -ffile-prefix-map=$target=/compliance-agent/target"
  (
    cd "$src"
    umask 022
    env -i \
      PATH="$PATH" HOME="$HOME" ${RUSTUP_HOME:+RUSTUP_HOME="$RUSTUP_HOME"} \
      CARGO_HOME="$home" CARGO_TARGET_DIR="$target" \
      CARGO_ENCODED_RUSTFLAGS="$rustflags" CFLAGS="$cflags" \
      SOURCE_DATE_EPOCH="$epoch" COMPLIANCE_AGENT_BUILD_REV="${rev:0:12}" \
      LC_ALL=C TZ=UTC \
      "${cargo[@]}" build --release --locked --offline --bin compliance-agent
  ) >"$log" 2>&1 || {
    echo "build $name failed; the end of $log:" >&2
    tail -n 40 "$log" >&2
    return 1
  }
}

# The compiler release every release hash is built with. It is pinned here,
# not in rust-toolchain.toml: that file would make a plain `cargo build` on a
# machine without this exact rustup toolchain try to download it, and the
# development and CI machines have one toolchain and no network for rustup.
# Bumping it changes every release hash: say so in the commit.
rust_release=1.95.0
# The toolchain: the one on PATH when it is that release, else rustup's
# toolchain of that name; found before CARGO_HOME changes.
if rustc --version 2>/dev/null | grep -q "^rustc $rust_release "; then
  cargo=(cargo)
  rustc=(rustc)
elif command -v rustup >/dev/null && rustup run "$rust_release" rustc --version >/dev/null 2>&1; then
  cargo=(rustup run "$rust_release" cargo)
  rustc=(rustup run "$rust_release" rustc)
else
  echo "release builds use Rust $rust_release; this machine has $(rustc --version 2>/dev/null || echo no rustc)." >&2
  echo "install it: rustup toolchain install $rust_release --profile minimal" >&2
  exit 1
fi

a_src=$work/a/compliance-agent
a_target=$work/a/target
# A longer, different path: a path that leaked into the binary would change
# its length and every offset after it.
b_src=$work/b/another/checkout/of/the/source
b_target=$work/b/tgt

start=$(date +%s)
copy_src "$a_src"
echo "commit:    $rev ($(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ))"
echo "toolchain: $("${rustc[@]}" --version) / $("${cargo[@]}" --version)"
echo "cc:        $(cc --version | head -n 1)"
echo "libc:      $(ldd --version 2>&1 | head -n 1)"
if $once; then
  echo "building $a_src ..."
  build a "$a_src" "$a_target" "$work/a/build.log"
else
  copy_src "$b_src"
  # Both at once: each build ends in one long single-threaded LTO link, so
  # two side by side finish sooner than one after the other on 2 cores.
  echo "building $a_src and $b_src ..."
  build a "$a_src" "$a_target" "$work/a/build.log" &
  pid_a=$!
  build b "$b_src" "$b_target" "$work/b/build.log" &
  pid_b=$!
  ok=true
  wait "$pid_a" || ok=false
  wait "$pid_b" || ok=false
  $ok
fi
elapsed=$(($(date +%s) - start))

bin_a=$a_target/release/compliance-agent
hash_a=$(sha256sum "$bin_a" | cut -d' ' -f1)
cp "$bin_a" "$work/compliance-agent"
echo "sha256 a:  $hash_a  $bin_a"
status=0
if ! $once; then
  bin_b=$b_target/release/compliance-agent
  hash_b=$(sha256sum "$bin_b" | cut -d' ' -f1)
  echo "sha256 b:  $hash_b  $bin_b"
  if [ "$hash_a" != "$hash_b" ]; then
    echo "NOT REPRODUCIBLE: the two builds differ (compare with diffoscope, or cmp -l | head)" >&2
    status=1
  fi
fi
# The binary reports its own hash: that is what an appliance prints.
version=$("$work/compliance-agent" --version)
echo "--version: $version"
case "$version" in
  *"git ${rev:0:12}, sha256 $hash_a"*) ;;
  *) echo "the binary's --version does not name commit ${rev:0:12} and hash $hash_a" >&2; status=1 ;;
esac
if [ -n "$expect" ]; then
  if [ "$expect" = "$hash_a" ]; then
    echo "matches the expected $expect"
  else
    echo "DIFFERENT from the expected $expect" >&2
    status=1
  fi
fi
echo "reproducible build: $([ $status = 0 ] && echo ok || echo FAILED) in ${elapsed}s"
exit $status
