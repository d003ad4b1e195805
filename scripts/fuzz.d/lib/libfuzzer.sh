# Shared by the fuzz scripts in scripts/fuzz.d (sourced, not run: scripts/test
# runs only scripts/fuzz.d/*.sh). Expects $work and $name to be set.

# fuzz_build OUT SOURCES...: one libFuzzer + ASan executable from plain sources.
fuzz_build() {
  local out=$1; shift
  echo "fuzz: building the $name libFuzzer target"
  if ! swiftc -sanitize=fuzzer,address -parse-as-library -module-name "VizorFuzz${name//[^A-Za-z]/}" -Onone -g \
      "$@" -o "$out" > "$work/build.log" 2>&1; then
    grep -v 'ld.gold: warning' "$work/build.log" | tail -n 40
    echo "fuzz: the $name target does not build" >&2
    exit 1
  fi
}

# fuzz_run EXE SECONDS MAXLEN SEEDDIR: runs libFuzzer for SECONDS, prints its
# figures, and on a crash, hang, leak or broken property prints the reproducer
# and exits with libFuzzer's status.
fuzz_run() {
  local exe=$1 seconds=$2 maxlen=$3 seeds=$4 status
  mkdir -p "$work/corpus"
  echo "fuzz: running $name for ${seconds}s ($(ls "$seeds" | wc -l) seeds)"
  set +e
  # Swift's own backtracer would run under ASan and bury the message.
  SWIFT_BACKTRACE=enable=no "$exe" "$work/corpus" "$seeds" -max_total_time="$seconds" -max_len="$maxlen" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/" > "$work/fuzz.log" 2>&1
  status=$?
  set -e
  if [ "$status" -ne 0 ]; then
    grep -E -m 5 -A 12 'Fatal error|ERROR: (AddressSanitizer|libFuzzer)|SUMMARY' "$work/fuzz.log" | cut -c1-600 | head -n 80
    local a
    for a in "$work"/crash-* "$work"/timeout-* "$work"/oom-* "$work"/leak-*; do
      [ -e "$a" ] && { echo "fuzz: reproducer $(basename "$a") (base64):"; base64 -w0 "$a" | head -c 4000; echo; }
    done
    echo "fuzz: $name FAILED (exit $status)" >&2
    exit "$status"
  fi
  grep -E '^(Done|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb))' "$work/fuzz.log"
  echo "fuzz: $name OK"
}
