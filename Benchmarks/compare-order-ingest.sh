#!/usr/bin/env bash
# Order ingest of two builds of itinera-bench side by side: both held up (`--hold`, one tenant each),
# wrk alternating between them, so a comparison is made in one run.
# Usage: Benchmarks/compare-order-ingest.sh BEFORE-BINARY AFTER-BINARY [CONNECTIONS] [ROUNDS]
# BENCH_ARGS: more arguments for both binaries (e.g. `--hold-campaign-customers 100000`);
# PHONES: how many customers' phones the orders pick from (default 1000; see orders.lua).
set -euo pipefail
cd "$(dirname "$0")/.."
before=$1 after=$2 connections=${3:-32} rounds=${4:-5}
threads=$((connections < 2 ? 1 : 2))
# shellcheck disable=SC2086
"$before" --hold --port 18443 ${BENCH_ARGS:-} > /tmp/itinera-hold-before.log 2>&1 &
# shellcheck disable=SC2086
"$after" --hold --port 18444 ${BENCH_ARGS:-} > /tmp/itinera-hold-after.log 2>&1 &
trap 'kill %1 %2 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
    grep -q TOKEN /tmp/itinera-hold-before.log 2>/dev/null && grep -q TOKEN /tmp/itinera-hold-after.log 2>/dev/null && break
    sleep 1
done
token_before=$(grep TOKEN /tmp/itinera-hold-before.log | awk '{print $2}')
token_after=$(grep TOKEN /tmp/itinera-hold-after.log | awk '{print $2}')
run() {
    TOKEN=$2 wrk -t"$threads" -c"$connections" -d10s --latency -s Benchmarks/wrk/orders.lua "https://127.0.0.1:$1/v1/orders" |
        grep -E "Requests/sec|  99%|  50%|Non-2xx" | tr -s ' ' | tr '\n' ' '
    echo
}
run 18443 "$token_before" > /dev/null
run 18444 "$token_after" > /dev/null
for round in $(seq 1 "$rounds"); do
    echo "$round before $(run 18443 "$token_before")"
    echo "$round after  $(run 18444 "$token_after")"
done
