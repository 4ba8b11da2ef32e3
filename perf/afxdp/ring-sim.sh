#!/usr/bin/env bash
# jxdp's AF_XDP user-space loop against the libxdp C reference's, on rings in memory (no device,
# no syscall, no kernel work), in one run: the C loop (xsk_loop.h, the code xsk_ref.c runs on a
# real socket) in xsk_ring_sim.c, and jxdp's XdpSocket in the JMH benchmark XskRingBenchmark, both
# over the same simulated kernel side (io.jxdp.ffi.xdp.MemoryKernel and its C copy), the same sizes
# (rings 2048, 4096 frames of 2048 bytes, 64-byte frames, batches of 64) and the same timing
# (3 warm-up and 5 measured iterations of 1 s), pinned to the same CPU, alternating ROUNDS times.
# This isolates what run.sh cannot on a 2-CPU copy-mode veth: there the kernel's per-frame work
# (clone, veth NAPI, copy into the UMEM, copy-mode TX) is 95% of each frame's cost and decides
# the rate; here only the receivers' own per-frame cost is timed.
#
# usage: perf/afxdp/ring-sim.sh [ROUNDS (default 2)] [CPU (default 1)]
# Needs gcc, libxdp-dev, libbpf-dev, taskset and a JDK 25 (JAVA_HOME or /usr/lib/jvm/*25*); builds the
# perf module's benchmarks.jar if it is missing. JXDP_RINGSIM_JAR=path times another build of the
# benchmarks jar (e.g. one saved from before a change), so before and after run in one session.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds="${1:-2}"
cpu="${2:-1}"
(( rounds >= 1 && rounds <= 10 )) || { echo "ROUNDS must be 1..10" >&2; exit 2; }
build="$(mktemp -d /tmp/jxdp-ringsim.XXXXXX)"
trap 'rm -rf "$build"' EXIT INT TERM

gcc -O2 -Wall -o "$build/xsk_ring_sim" "$here/xsk_ring_sim.c" -lxdp -lbpf
java=""
[[ -n "${JAVA_HOME:-}" ]] && java="$JAVA_HOME/bin/java"
[[ -x "$java" ]] || java=$(ls -d /usr/lib/jvm/*25*/bin/java 2>/dev/null | head -1)
[[ -x "$java" ]] || { echo "ring-sim.sh: set JAVA_HOME to a JDK >= 22" >&2; exit 1; }
jar="${JXDP_RINGSIM_JAR:-$root/perf/target/benchmarks.jar}"
if [[ -n "${JXDP_RINGSIM_JAR:-}" && ! -f "$jar" ]]; then
    echo "ring-sim.sh: JXDP_RINGSIM_JAR=$jar: no such file" >&2; exit 1
fi
if [[ ! -f "$jar" ]]; then
    ( cd "$root" && JAVA_HOME="$(dirname "$(dirname "$java")")" mvn -B -o -q install -pl afxdp-ffi,dataplane -DskipTests \
        && JAVA_HOME="$(dirname "$(dirname "$java")")" mvn -B -o -q -pl perf -DskipTests verify )
fi

declare -A sum
for mode in rxdrop l2fwd; do sum[c,$mode]=0; sum[jxdp,$mode]=0; done
for ((r = 1; r <= rounds; r++)); do
    for mode in rxdrop l2fwd; do
        c=$(taskset -c "$cpu" "$build/xsk_ring_sim" "$mode" | sed -n "s/^xsk_ring_sim $mode ns\/frame \([0-9.]*\) .*/\1/p")
        j=$(taskset -c "$cpu" "$java" --enable-native-access=ALL-UNNAMED -jar "$jar" "XskRingBenchmark.$mode\$" \
                -f 1 -wi 3 -i 5 -w 1s -r 1s 2>&1 | awk -v m="$mode" '$1 ~ "XskRingBenchmark."m"$" && $2 == "avgt" {print $4}')
        [[ -n "$c" && -n "$j" ]] || { echo "ring-sim.sh: no figure from C ($c) or jxdp ($j) for $mode" >&2; exit 1; }
        echo "round $r $mode: C $c ns/frame, jxdp $j ns/frame"
        sum[c,$mode]=$(awk -v a="${sum[c,$mode]}" -v b="$c" 'BEGIN {print a + b}')
        sum[jxdp,$mode]=$(awk -v a="${sum[jxdp,$mode]}" -v b="$j" 'BEGIN {print a + b}')
    done
done
# jxdp / C as a rate: C's time per frame over jxdp's (100% = as fast as C; the issue's bar is 90%).
printf '\n| mode   | C ns/frame | jxdp ns/frame | jxdp / C (rate) |\n|--------|-----------:|--------------:|----------------:|\n'
for mode in rxdrop l2fwd; do
    awk -v m="$mode" -v c="${sum[c,$mode]}" -v j="${sum[jxdp,$mode]}" -v n="$rounds" \
        'BEGIN {printf "| %-6s | %10.2f | %13.2f | %14.1f%% |\n", m, c / n, j / n, 100 * c / j}'
done
