#!/usr/bin/env bash
# Compares globaltabled's DynamoDB API with dynalite on this machine, with the same client
# (build/bin/api_bench) and the same workload, in one run.
#
# For each of RUNS rounds (servers alternate inside a round, so load from other processes hits
# both alike): PutItem, GetItem and Query at full speed with CONNS keep-alive connections, then
# PutItem and GetItem open-loop at half of each server's maximum measured in that round. Prints
# the median of every figure and the ratios the issue sets as targets. Latencies are from send
# to response; "sched p99" also counts the client's own lateness against its schedule (see
# bench/api_bench.cc), which on a shared machine is mostly the load generator waiting for a core.
#
# Each round also measures the ceiling: build/bin/http_ceiling, a responder that answers every
# request with canned bytes and does nothing else, under the same client (and again with the
# client multiplexing its connections over CLIENT_THREADS epoll threads, which leaves more of the
# machine to the server). No server can answer faster than that on this machine; the summary
# sets it against the 10x-dynalite target.
#
# Usage: bench/run_api_bench.sh            (env: RUNS=3 DURATION=5 CONNS=16 KEYS=10000 ITEM=200
#                                             CLIENT_THREADS=2)
# dynalite is installed with npm under build/dynalite the first time.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-3}"
DURATION="${DURATION:-5}"
CONNS="${CONNS:-16}"
KEYS="${KEYS:-10000}"
ITEM="${ITEM:-200}"
CLIENT_THREADS="${CLIENT_THREADS:-2}"
BUILD="${GT_BUILD_DIR:-build}"

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DGT_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD" -j2 --target globaltabled api_bench http_ceiling >/dev/null
if [[ ! -x "$BUILD/dynalite/node_modules/.bin/dynalite" ]]; then
  mkdir -p "$BUILD/dynalite"
  (cd "$BUILD/dynalite" && npm install --no-audit --no-fund --silent dynalite@4.0.0)
fi

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
DY_PID=""
CE_PID=""
cleanup() {
  [[ -n "$CE_PID" ]] && kill "$CE_PID" 2>/dev/null && wait "$CE_PID" 2>/dev/null || true
  [[ -n "$GT_PID" ]] && kill "$GT_PID" 2>/dev/null && wait "$GT_PID" 2>/dev/null || true
  [[ -n "$DY_PID" ]] && kill "$DY_PID" 2>/dev/null && wait "$DY_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

GT_PORT="$(free_port)"
"$BUILD/bin/globaltabled" --data-dir "$WORK/gt" --api-listen "127.0.0.1:$GT_PORT" \
  --admin-listen "127.0.0.1:$(free_port)" >"$WORK/gt.log" 2>&1 &
GT_PID=$!
DY_PORT="$(free_port)"
node "$BUILD/dynalite/node_modules/dynalite/cli.js" --port "$DY_PORT" --createTableMs 0 \
  --deleteTableMs 0 --updateTableMs 0 >"$WORK/dy.log" 2>&1 &
DY_PID=$!
CE_PORT="$(free_port)"
"$BUILD/bin/http_ceiling" --port "$CE_PORT" &
CE_PID=$!
wait_port "$GT_PORT"
wait_port "$CE_PORT"
wait_port "$DY_PORT"

RESULTS="$WORK/results.txt"
bench() {  # server port args...
  local server=$1 port=$2; shift 2
  echo "server=$server $("$BUILD/bin/api_bench" --endpoint "127.0.0.1:$port" --keys "$KEYS" \
    --item-bytes "$ITEM" --connections "$CONNS" --duration "$DURATION" "$@")" | tee -a "$RESULTS"
}

for server in globaltabled dynalite; do
  port=$GT_PORT; [[ $server == dynalite ]] && port=$DY_PORT
  "$BUILD/bin/api_bench" --endpoint "127.0.0.1:$port" --keys "$KEYS" --item-bytes "$ITEM" \
    --setup --op put --duration 0.2 >/dev/null
done

for run in $(seq "$RUNS"); do
  echo "== round $run of $RUNS"
  for op in put get query; do
    bench globaltabled "$GT_PORT" --op "$op"
    bench dynalite "$DY_PORT" --op "$op"
    if [[ $op != query ]]; then
      bench ceiling "$CE_PORT" --op "$op"
      bench ceiling-mux "$CE_PORT" --op "$op" --client-threads "$CLIENT_THREADS"
    fi
  done
  for op in put get; do
    name=$([[ $op == put ]] && echo PutItem || echo GetItem)
    for server in globaltabled dynalite; do
      port=$GT_PORT; [[ $server == dynalite ]] && port=$DY_PORT
      max=$(grep "server=$server op=$name .*rate=max" "$RESULTS" | tail -1 |
        sed 's/.*throughput=\([0-9]*\).*/\1/')
      bench "$server" "$port" --op "$op" --rate $((max / 2))
    done
  done
done

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$RESULTS" <<'EOF'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = dict(re.findall(r"(\w+)=(\S+)", line))
    key = (f["server"], f["op"], "max" if f["rate"] == "max" else "half")
    rows.setdefault(key, []).append(f)
def med(key, field):
    vals = [float(r[field]) for r in rows.get(key, [])]
    return statistics.median(vals) if vals else float("nan")
print(f"{'server':<13}{'op':<9}{'load':<6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
      f"{'sched p99':>11}")
for key in sorted(rows):
    sched = f"{med(key,'sched_p99_ms'):>11.2f}" if key[2] == "half" else f"{'-':>11}"
    print(f"{key[0]:<13}{key[1]:<9}{key[2]:<6}{med(key,'throughput'):>9.0f}"
          f"{med(key,'p50_ms'):>9.2f}{med(key,'p99_ms'):>9.2f}{med(key,'max_ms'):>9.1f}{sched}")
print()
for op in ("PutItem", "GetItem", "Query"):
    ratio = med(("globaltabled", op, "max"), "throughput") / med(("dynalite", op, "max"), "throughput")
    print(f"{op}: throughput ratio globaltabled/dynalite = {ratio:.1f}x (target >= 10x for Put/Get)")
for op in ("PutItem", "GetItem"):
    target = 10 * med(("dynalite", op, "max"), "throughput")
    print(f"{op}: 10x dynalite = {target:.0f}/s; do-nothing responder = "
          f"{med(('ceiling', op, 'max'), 'throughput'):.0f}/s with the same client, "
          f"{med(('ceiling-mux', op, 'max'), 'throughput'):.0f}/s with the multiplexed client")
for op in ("PutItem", "GetItem"):
    ours = med(("globaltabled", op, "half"), "p99_ms")
    theirs = med(("dynalite", op, "max"), "p99_ms")
    print(f"{op}: p99 at half our max = {ours:.2f} ms; dynalite p99 at the same connection count"
          f" = {theirs:.2f} ms; ratio {ours / theirs:.2f} (target <= 0.5)")
EOF
