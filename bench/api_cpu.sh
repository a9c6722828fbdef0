#!/usr/bin/env bash
# Server CPU per request of globaltabled's DynamoDB API, kernel time included: starts one
# globaltabled on a fresh data directory, loads the api_bench table, then for each operation
# runs build/bin/api_bench at full speed and divides the daemon's CPU time over the run
# (utime + stime of /proc/PID/stat, every thread) by the requests answered. Also prints the
# daemon's context switches per request (summed over its threads).
#
# CPU time is what the daemon itself consumed, so unlike throughput it hardly depends on what
# else runs on the machine; compare builds in the same interval all the same.
#
# Usage: bench/api_cpu.sh   (env: OPS="put get query" DURATION=5 CONNS=16 KEYS=10000 ITEM=200
#                            GT_BUILD_DIR=build EXTRA_FLAGS="...globaltabled flags...")
set -euo pipefail
cd "$(dirname "$0")/.."

OPS="${OPS:-put get query}"
DURATION="${DURATION:-5}"
CONNS="${CONNS:-16}"
KEYS="${KEYS:-10000}"
ITEM="${ITEM:-200}"
BUILD="${GT_BUILD_DIR:-build}"

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 200); do
    if /usr/bin/python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "nothing listens on port $1" >&2; return 1
}

WORK="$(mktemp -d)"
GT_PID=""
cleanup() {
  [[ -n "$GT_PID" ]] && kill "$GT_PID" 2>/dev/null && wait "$GT_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$(free_port)"
# shellcheck disable=SC2086
"$BUILD/bin/globaltabled" --data-dir "$WORK/gt" --api-listen "127.0.0.1:$PORT" \
  --admin-listen "127.0.0.1:$(free_port)" ${EXTRA_FLAGS:-} >"$WORK/gt.log" 2>&1 &
GT_PID=$!
wait_port "$PORT"
"$BUILD/bin/api_bench" --endpoint "127.0.0.1:$PORT" --keys "$KEYS" --item-bytes "$ITEM" \
  --setup --op put --duration 0.2 >/dev/null

ticks() { awk '{print $14 + $15}' "/proc/$GT_PID/stat"; }
switches() {
  cat /proc/"$GT_PID"/task/*/status 2>/dev/null |
    awk '/ctxt_switches/ {n += $2} END {print n}'
}
HZ="$(getconf CLK_TCK)"
for op in $OPS; do
  t0="$(ticks)"; c0="$(switches)"
  line="$("$BUILD/bin/api_bench" --endpoint "127.0.0.1:$PORT" --keys "$KEYS" --item-bytes "$ITEM" \
    --connections "$CONNS" --duration "$DURATION" --op "$op")"
  t1="$(ticks)"; c1="$(switches)"
  requests="$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line")"
  throughput="$(sed 's/.*throughput=\([0-9]*\).*/\1/' <<<"$line")"
  /usr/bin/python3 -c "
t = ($t1 - $t0) / $HZ
print(f'op=$op requests=$requests throughput=$throughput server_cpu_s={t:.2f} '
      f'us_cpu_per_request={t * 1e6 / max(1, $requests):.1f} '
      f'ctx_switches_per_request={($c1 - $c0) / max(1, $requests):.2f}')"
done
