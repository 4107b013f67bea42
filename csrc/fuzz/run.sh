#!/usr/bin/env bash
# Build and run the coverage-guided fuzz targets (issue 15, item 3).
#
#   csrc/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET ...]
#
# TARGET: ezw pred bitmap rans transform (libFuzzer, csrc/fuzz/fuzz_<t>.c) and container (atheris,
# tests/fuzz/fuzz_container.py; needs sdwtfast and atheris installed for $PYTHON); default: all,
# 40 s each. Each C target is built with clang -fsanitize=fuzzer,address,undefined
# -fno-sanitize-recover=all -g -O1, replays its committed crashers (csrc/fuzz/crashers/<t>/),
# then fuzzes a copy of its seed corpus (csrc/fuzz/corpus/<t>/) for the given time; a second,
# source-coverage build (-fprofile-instr-generate -fcoverage-mapping) replays the final corpus
# for llvm-cov's line and branch coverage of the decoder's sources (without llvm-profdata /
# llvm-cov of clang's version, libFuzzer's cov / ft counters only).
# A crash, leak, timeout (-timeout, 10 s; 30 s for Python) or out-of-memory is saved under
# crashers/<t>/ and makes the script exit 1, after every target has run.
#
# Environment: CC (clang), PYTHON (python3), FUZZ_WORK (work folder, kept; default: a temporary
# folder, removed), FUZZ_NICE (niceness of the fuzzing runs, 10).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SECS=${1:-40}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(ezw pred bitmap rans transform container)
CC=${CC:-clang}
PYTHON=${PYTHON:-python3}
NICE=${FUZZ_NICE:-10}
if [ -n "${FUZZ_WORK:-}" ]; then
  WORK=$FUZZ_WORK
  mkdir -p "$WORK"
else
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
fi

CORE=(status crc32c lift53 quant arith ezw bitmap pred rans)
CFLAGS=(-std=c11 -Wall -Wextra -D_POSIX_C_SOURCE=200809L -g -O1 -I"$ROOT/csrc")
SAN=(-fsanitize=address,undefined -fno-sanitize-recover=all)
PROF=(-fprofile-instr-generate -fcoverage-mapping)
declare -A SOURCES=(
  [ezw]="ezw.c arith.h lift53.c quant.c"
  [pred]="pred.c arith.h"
  [bitmap]="bitmap.c arith.h"
  [rans]="rans.c"
  [transform]="lift53.c quant.c crc32c.c"
)

LLVM_VER=$("$CC" --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)
tool() { # the llvm tool matching clang's version, or nothing
  local t
  for t in "$1-$LLVM_VER" "/usr/lib/llvm-$LLVM_VER/bin/$1" "$1"; do
    if command -v "$t" >/dev/null 2>&1; then echo "$t"; return; fi
  done
}
PROFDATA=$(tool llvm-profdata)
LLVMCOV=$(tool llvm-cov)

# core objects, once per flavour: fuzz (sanitizers + libFuzzer's coverage) and source coverage
build_core() {
  local flavour=$1
  shift
  mkdir -p "$WORK/obj-$flavour"
  local s
  for s in "${CORE[@]}"; do
    "$CC" "${CFLAGS[@]}" "$@" -c "$ROOT/csrc/$s.c" -o "$WORK/obj-$flavour/$s.o"
  done
}

FAILED=0
SUMMARY=()
stat_of() { sed -n "s/^stat::$1: *//p" "$2" | tail -1; }
done_of() { grep -E 'DONE|#[0-9]+.*(INITED|pulse|NEW|REDUCE)' "$1" | tail -1 | grep -oE "$2: *[0-9]+" |
  grep -oE '[0-9]+' || echo "-"; }

FOUND=0
save_findings() { # target artifact-folder crasher-folder log; sets FOUND
  local f
  FOUND=0
  for f in "$2"/*; do
    [ -f "$f" ] || continue
    mkdir -p "$3"
    cp "$f" "$3/"
    echo "!! $1: finding $(basename "$f") saved as ${3#"$ROOT"/}/$(basename "$f")"
    FOUND=$((FOUND + 1))
  done
  if [ "$FOUND" -gt 0 ]; then
    FAILED=1
    grep -E -A40 'ERROR: |runtime error|fuzz property failed|fuzz: unexpected|Traceback|timeout after' \
      "$4" | head -80 || true
  fi
}

replay_crashers() { # target command...: every committed crasher must now pass
  local t=$1 dir
  shift
  dir=$([ "$t" = container ] && echo "$ROOT/tests/fuzz/crashers" || echo "$HERE/crashers/$t")
  local files=()
  local f
  for f in "$dir"/*; do
    [ -f "$f" ] && [ "${f##*.}" != md ] && files+=("$f")
  done
  [ ${#files[@]} -eq 0 ] && return 0
  if ! "$@" -runs=1 "${files[@]}" >"$WORK/replay-$t.log" 2>&1; then
    echo "!! $t: a committed crasher still fails:"
    tail -40 "$WORK/replay-$t.log"
    FAILED=1
  fi
}

run_target() { # name log-folder command...
  local t=$1
  shift
  local corpus="$WORK/corpus/$t" art="$WORK/artifacts/$t" log="$WORK/$t.log"
  local seed=$([ "$t" = container ] && echo "$ROOT/tests/fuzz/corpus" || echo "$HERE/corpus/$t")
  local crash=$([ "$t" = container ] && echo "$ROOT/tests/fuzz/crashers" || echo "$HERE/crashers/$t")
  local tmo=$([ "$t" = container ] && echo 30 || echo 10)
  rm -rf "$corpus" "$art"
  mkdir -p "$corpus" "$art"
  cp "$seed"/* "$corpus/"
  replay_crashers "$t" "$@"
  echo "== fuzz $t: ${SECS} s on $(ls "$corpus" | wc -l) seeds"
  local t0=$SECONDS
  nice -n "$NICE" "$@" -max_total_time="$SECS" -timeout="$tmo" -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$art/" "$corpus" >"$log" 2>&1 || true
  local took=$((SECONDS - t0))
  save_findings "$t" "$art" "$crash" "$log"
  local execs cov ft rate
  execs=$(stat_of number_of_executed_units "$log")
  rate=$(stat_of average_exec_per_sec "$log")
  cov=$(done_of "$log" cov)
  ft=$(done_of "$log" ft)
  local lines="-" branches="-"
  if [ "$t" != container ] && [ -n "$PROFDATA" ] && [ -n "$LLVMCOV" ]; then
    local covbin="$WORK/bin/cov_$t" files=()
    local s
    for s in ${SOURCES[$t]}; do files+=("$ROOT/csrc/$s"); done
    LLVM_PROFILE_FILE="$WORK/cov-$t.profraw" "$covbin" -runs=0 "$corpus" >"$WORK/cov-$t.log" 2>&1 || true
    "$PROFDATA" merge -sparse "$WORK/cov-$t.profraw" -o "$WORK/cov-$t.profdata"
    "$LLVMCOV" report "$covbin" -instr-profile="$WORK/cov-$t.profdata" "${files[@]}" \
      >"$WORK/cov-$t.txt"
    sed 's|'"$ROOT"'/||' "$WORK/cov-$t.txt"
    # TOTAL: regions, missed, %, functions, missed, %, lines, missed, %, branches, missed, %
    lines=$(awk '/^TOTAL/ {print $10}' "$WORK/cov-$t.txt")
    branches=$(awk '/^TOTAL/ {print $13}' "$WORK/cov-$t.txt")
  fi
  SUMMARY+=("$(printf '%-10s %10s %8s %6ss %6s %6s %8s %10s %9s' "$t" "${execs:--}" \
    "${rate:--}" "$took" "$cov" "$ft" "$(ls "$corpus" | wc -l)" "$lines" "$branches") $FOUND")
}

need_c=0
for t in "${TARGETS[@]}"; do [ "$t" != container ] && need_c=1; done
if [ "$need_c" = 1 ]; then
  echo "== build ($CC $LLVM_VER; llvm-profdata: ${PROFDATA:-none}, llvm-cov: ${LLVMCOV:-none})"
  mkdir -p "$WORK/bin"
  build_core fuzz "${SAN[@]}" -fsanitize=fuzzer-no-link
  [ -n "$PROFDATA" ] && build_core cov "${PROF[@]}"
fi

for t in "${TARGETS[@]}"; do
  case $t in
  container)
    run_target container "$PYTHON" "$ROOT/tests/fuzz/fuzz_container.py"
    ;;
  ezw | pred | bitmap | rans | transform)
    "$CC" "${CFLAGS[@]}" "${SAN[@]}" -fsanitize=fuzzer "$HERE/fuzz_$t.c" "$WORK"/obj-fuzz/*.o \
      -lm -o "$WORK/bin/fuzz_$t"
    if [ -n "$PROFDATA" ]; then
      "$CC" "${CFLAGS[@]}" "${PROF[@]}" -fsanitize=fuzzer "$HERE/fuzz_$t.c" "$WORK"/obj-cov/*.o \
        -lm -o "$WORK/bin/cov_$t"
    fi
    run_target "$t" "$WORK/bin/fuzz_$t"
    ;;
  *)
    echo "unknown target $t (ezw pred bitmap rans transform container)" >&2
    exit 2
    ;;
  esac
done

echo "== summary (${SECS} s per target; lines / branches: llvm-cov of the decoder's sources)"
printf '%-10s %10s %8s %7s %6s %6s %8s %10s %9s %s\n' target execs exec/s time cov ft corpus \
  lines branches findings
for row in "${SUMMARY[@]}"; do echo "$row"; done
exit "$FAILED"
