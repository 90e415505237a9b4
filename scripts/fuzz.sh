#!/usr/bin/env bash
# Fuzz what comes from outside (tests/fuzz.rs): the scenario parser, the action-script
# parser, the session-log loader and Session::apply. Each target runs until it has tried
# CASES cases or spent SECONDS, whichever comes first, one target after another.
#
#   scripts/fuzz.sh                 10000 cases per target, no time cap (about 15 min)
#   scripts/fuzz.sh 60              at most 60 s per target (what CI runs)
#   scripts/fuzz.sh 600 1000000     at most 600 s or a million cases per target
#
# A failure prints the smallest failing input proptest found; a case that runs longer
# than FLUOROHIP_FUZZ_HANG_SECONDS (default 120) is printed and the run aborted. Each run
# draws new inputs; PROPTEST_RNG_SEED=N repeats one.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-}"
if [ -n "$seconds" ]; then
    export FLUOROHIP_FUZZ_SECONDS="$seconds"
    export PROPTEST_CASES="${2:-100000000}"
else
    export PROPTEST_CASES="${2:-10000}"
fi
echo "fuzz: up to ${PROPTEST_CASES} cases${seconds:+ or ${seconds} s} per target"
cargo test --no-default-features --test fuzz -- --nocapture --test-threads 1
