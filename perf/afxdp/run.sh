#!/usr/bin/env bash
# AF_XDP speed comparison: libxdp C reference (xsk_ref.c) against jxdp (`./jxdp xsk-bench`), rxdrop
# and l2fwd, same ring sizes / batch / frame size / copy mode, alternating C and jxdp ROUNDS times
# in one run. Load: `./jxdp gen --mode clone` (a TC program run by BPF_PROG_TEST_RUN that
# bpf_clone_redirects its skb out of the veth; JXDP_PERF_GEN_MODE=auto|live|afpacket overrides) at
# max rate from the peer namespace.
# The receiving veth runs threaded NAPI (its NAPI, the XDP program and the copy into the UMEM in a
# kthread `napi/<dev>-N`, not in the sender's softirq), so the generator's CPU only generates. The
# kthread is pinned per measurement, the same way for C and jxdp: JXDP_PERF_NAPI_CPU=rx (default: on
# the receiver's CPU 1), gen (on the generator's CPU 0) or off (threaded NAPI off: the old setup).
# JXDP_PERF_NAPI_NICE (default 0) renices the kthread: it and a busy-polling receiver split their
# CPU by CFS weight (see perf/RESULTS.md, issue 7, 2026-12-07 for what -10 does).
# JXDP_PERF_POLL=1 runs both receivers in poll mode (xsk_ref -p, xsk-bench --poll: block in poll(2)
# when the RX ring is empty, 10 ms timeout, as the kernel's xdpsock -p) instead of busy-polling
# (0, the default): a receiver that needs less CPU per frame then leaves more of CPU 1 to the kthread.
# JXDP_PERF_PIN=process (default) starts the whole JVM under `taskset -c 1`, its compiler and GC
# threads with the loop; thread starts the JVM under `taskset -c 0` (the generator's CPU) and pins
# only the loop's thread to CPU 1 (xsk-bench --cpu 1: sched_setaffinity on that thread), as C's one
# thread is. Both leave the JVM one CPU, so its ergonomics (GC, compiler threads) are the same.
# Each round measures C and jxdp back to back per mode, C first in odd rounds and jxdp first in
# even ones; the summary gives per mode the means, medians and the geometric mean of the rounds'
# jxdp / C ratios (each from one adjacent pair).
#
# usage: perf/afxdp/run.sh [SECONDS (default 5)] [ROUNDS (default 2)]
# Needs root, gcc, libxdp-dev, libbpf-dev, iproute2, taskset, and 2 CPUs (gen on CPU 0, receiver on CPU 1).
# Builds only inside two private namespaces (veth, 198.18.0.0/30); the trap removes them and any
# process started here, even on failure or Ctrl-C.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
secs="${1:-5}"
rounds="${2:-2}"
warm="${JXDP_PERF_WARMUP:-2}"   # seconds before measuring, for C and jxdp alike
(( secs >= 1 && secs <= 120 )) || { echo "SECONDS must be 1..120" >&2; exit 2; }
(( rounds >= 1 && rounds <= 40 )) || { echo "ROUNDS must be 1..40" >&2; exit 2; }
(( warm >= 1 && warm <= 60 )) || { echo "JXDP_PERF_WARMUP must be 1..60" >&2; exit 2; }
poll="${JXDP_PERF_POLL:-0}"
pin="${JXDP_PERF_PIN:-process}"
[[ "$poll" == 0 || "$poll" == 1 ]] || { echo "JXDP_PERF_POLL must be 0 or 1" >&2; exit 2; }
[[ "$pin" == process || "$pin" == thread ]] || { echo "JXDP_PERF_PIN must be process or thread" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "run.sh: needs root (namespaces, XDP, AF_XDP)" >&2; exit 1; }

tag=$(printf '%04x' $((RANDOM)))
nsA="jxdp-perf$tag-a"; nsB="jxdp-perf$tag-b"; ifA="jpf${tag}a"; ifB="jpf${tag}b"
build="$(mktemp -d /tmp/jxdp-perf.XXXXXX)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    ip netns del "$nsA" 2>/dev/null || true
    ip netns del "$nsB" 2>/dev/null || true
    rm -rf "$build"
}
trap cleanup EXIT INT TERM

gcc -O2 -Wall -o "$build/xsk_ref" "$here/xsk_ref.c" -lxdp -lbpf
# Build jxdp once (the launcher rebuilds when sources are newer than its jar), then run a snapshot
# of the jar so that nothing rebuilds in the middle of a measurement.
( cd "$root" && ./jxdp --version >/dev/null )
mkdir "$build/jxdp"
cp -r "$root/dataplane/target/jxdp.jar" "$root/dataplane/target/lib" "$build/jxdp/"
java=""
[[ -n "${JAVA_HOME:-}" ]] && java="$JAVA_HOME/bin/java"
[[ -x "$java" ]] || java=$(ls -d /usr/lib/jvm/*25*/bin/java 2>/dev/null | head -1)
[[ -x "$java" ]] || { echo "run.sh: set JAVA_HOME to a JDK >= 22" >&2; exit 1; }
jxdp=("$java" --enable-native-access=ALL-UNNAMED --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
      --sun-misc-unsafe-memory-access=allow -jar "$build/jxdp/jxdp.jar")

ip netns add "$nsA"; ip netns add "$nsB"
for ns in "$nsA" "$nsB"; do
    ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip -n "$nsA" link add "$ifA" type veth peer name "$ifB" netns "$nsB"
ip -n "$nsA" addr add 198.18.0.1/30 dev "$ifA"
ip -n "$nsB" addr add 198.18.0.2/30 dev "$ifB"
ip -n "$nsA" link set "$ifA" up
ip -n "$nsB" link set "$ifB" up
macB=$(ip -n "$nsB" -o link show "$ifB" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
napi_cpu="${JXDP_PERF_NAPI_CPU:-rx}"
napi_nice="${JXDP_PERF_NAPI_NICE:-0}"
[[ "$napi_nice" =~ ^-?[0-9]+$ ]] && (( napi_nice >= -20 && napi_nice <= 19 )) || {
    echo "JXDP_PERF_NAPI_NICE must be -20..19" >&2; exit 2; }
case "$napi_cpu" in
    rx) napi_cpu=1 ;; gen) napi_cpu=0 ;; off) napi_cpu="" ;;
    *) echo "JXDP_PERF_NAPI_CPU must be rx, gen or off" >&2; exit 2 ;;
esac

common=(-b 64 -r 2048 -n 4096 -s 2048)
c_wait=(); j_wait=()
[[ "$poll" == 1 ]] && { c_wait=(-p -t 10); j_wait=(--poll --poll-timeout 10); }
# Where jxdp's JVM runs and whether its loop thread pins itself (C is one thread on CPU 1 either way).
if [[ "$pin" == thread ]]; then j_cpus=0; j_pin=(--cpu 1); else j_cpus=1; j_pin=(); fi
# JXDP_PERF_RT=1 runs generator and receiver SCHED_FIFO (chrt -f 50): steadier figures on a busy
# machine, at the expense of everything else on CPUs 0 and 1 for the run (RT throttling still
# leaves 5%). Off by default: the machine may be shared.
rt=()
[[ "${JXDP_PERF_RT:-0}" == 1 ]] && rt=(chrt -f 50)
# A SCHED_FIFO receiver or generator and the NAPI kthread on its CPU starve one another (the
# kthread SCHED_OTHER: it gets nothing; SCHED_FIFO above the receiver: the receiver gets the 5%
# RT throttling leaves; both measured 2026-12-07), so RT runs keep NAPI in the sender's softirq.
if [[ ${#rt[@]} -gt 0 && -n "$napi_cpu" ]]; then
    echo "run.sh: JXDP_PERF_RT=1 needs JXDP_PERF_NAPI_CPU=off" >&2; exit 2
fi
# One measurement: receiver IMPL in MODE while gen loads the link; prints "pps cpu%" (the CPU time
# the receiver's loop thread got while measuring, in percent of the wall time).
measure() {
    local impl=$1 mode=$2 out
    local gen_secs=$((secs + warm + 3))
    ( exec "${rt[@]}" taskset -c 0 "${jxdp[@]}" gen --dev "$ifA" --netns "$nsA" --udp --dst-mac "$macB" \
        --rate max --duration "$gen_secs" --threads 1 --mode "${JXDP_PERF_GEN_MODE:-clone}" --quiet ) >"$build/gen.out" 2>&1 &
    local gen=$!
    pids+=("$gen")
    if [[ $impl == c ]]; then
        timeout $((secs + warm + 20)) "${rt[@]}" taskset -c 1 ip netns exec "$nsB" "$build/xsk_ref" -i "$ifB" -m "$mode" \
            -d "$secs" -w "$warm" "${common[@]}" "${c_wait[@]}" >"$build/rx.out" 2>"$build/rx.err" &
    else
        timeout $((secs + warm + 30)) "${rt[@]}" taskset -c "$j_cpus" "${jxdp[@]}" xsk-bench --dev "$ifB" --netns "$nsB" \
            --mode "$mode" --duration "$secs" --warmup "$warm" --batch 64 --ring 2048 --frames 4096 --frame-size 2048 \
            "${j_wait[@]}" "${j_pin[@]}" >"$build/rx.out" 2>"$build/rx.err" &
    fi
    local rx=$!
    pids+=("$rx")
    local napi="" i
    if [[ -n "$napi_cpu" ]]; then
        # veth has a NAPI only while an XDP program is attached (writing `threaded` before fails
        # with EIO), so once the receiver has attached its program (within the warm-up; the JVM
        # needs ~1 s) switch it to a kthread, napi/<dev>-<napi id> (comm cut to 15 chars), and pin it.
        for ((i = 0; i < 200; i++)); do
            if ip netns exec "$nsB" sh -c "echo 1 > /sys/class/net/$ifB/threaded" 2>/dev/null; then
                napi=$(pgrep "^napi/$ifB" | head -1 || true)
            fi
            [[ -z "$napi" ]] || break
            sleep 0.05
        done
        # The configuration must be the same for every measurement: no kthread is an error.
        [[ -n "$napi" ]] || { echo "run.sh: no NAPI kthread napi/$ifB after 10 s ($impl $mode)" >&2; exit 1; }
        taskset -pc "$napi_cpu" "$napi" >/dev/null
        renice -n "$napi_nice" -p "$napi" >/dev/null
    fi
    # Which of the receiver's threads may run on CPU 1 (read once its program is attached, so after
    # xsk-bench --cpu has pinned its loop): C 1 of 1; jxdp all of them (process) or 1 (thread).
    local threads="" jvm
    if [[ $impl == jxdp ]]; then
        jvm=$(pgrep -P "$rx" | head -1 || true)
        if [[ -n "$jvm" ]]; then
            threads=$(for t in /proc/"$jvm"/task/*; do sed -n 's/^Cpus_allowed_list:\t*//p' "$t/status" 2>/dev/null; done |
                awk '{ n++; if ($0 == "1") one++ } END { printf "%d of %d JVM threads on CPU 1 only", one, n }')
        fi
    fi
    wait "$rx" || { echo "receiver $impl $mode failed:" >&2; cat "$build/rx.out" "$build/rx.err" >&2; exit 1; }
    out=$(cat "$build/rx.out")
    wait "$gen" || { echo "gen failed:" >&2; cat "$build/gen.out" >&2; exit 1; }
    echo "  $impl $mode: $out${threads:+ | $threads} | napi $([[ -n "$napi" ]] && echo "pid $napi on CPU $napi_cpu" || echo "not threaded") | $(tail -1 "$build/gen.out")" >&2
    # The generator's offer: frames it handed to the veth plus those the veth refused (its peer
    # ring full: the receiver is the bottleneck), per second of its whole run.
    local offered
    offered=$(tail -1 "$build/gen.out" | awk '{ r = 0; if (match($0, /, [0-9]+ clones refused/)) r = substr($0, RSTART + 2, RLENGTH - 17);
        printf "%d", ($3 + r) / $6 }')
    echo "$(sed -n 's/.* pps \([0-9]*\) cpu \([0-9.]*\)% waits \([0-9]*\).*/\1 \2 \3/p' <<<"$out") $offered"
}

results="$build/results"   # one line per measurement: round mode impl pps cpu% waits offered
: >"$results"
started="$(date -u '+%Y-%m-%d %H:%M:%S')"
load0="$(cut -d' ' -f1-3 /proc/loadavg)"
config="AF_XDP rxdrop/l2fwd on veth, copy mode, ${secs}s measured (+${warm}s warm-up), $rounds rounds, $(uname -r),"
config+=" receivers $([[ "$poll" == 1 ]] && echo "in poll mode (poll(2), 10 ms)" || echo busy-polling) on CPU 1,"
config+=" jxdp pinned per $pin ($([[ "$pin" == thread ]] && echo "JVM on CPU 0, loop thread on CPU 1" || echo "whole JVM on CPU 1")),"
config+=" gen ${JXDP_PERF_GEN_MODE:-clone} on CPU 0, NAPI $([[ -n "$napi_cpu" ]] && echo "threaded on CPU $napi_cpu, nice $napi_nice" || echo "not threaded"),"
config+=" jxdp $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo '+changes')"
echo "$config; start $started UTC, load $load0" >&2
for ((r = 1; r <= rounds; r++)); do
    # C first in odd rounds, jxdp first in even ones: a drift over the run (the machine's other load,
    # the generator) does not favour either side.
    order=(c jxdp)
    (( r % 2 == 0 )) && order=(jxdp c)
    for mode in rxdrop l2fwd; do
        for impl in "${order[@]}"; do
            read -r pps pct waits offer < <(measure "$impl" "$mode")
            [[ -n "$pps" && -n "$pct" && -n "$waits" && -n "$offer" ]] || {
                echo "run.sh: no 'pps N cpu C% waits W' from $impl $mode" >&2; exit 1; }
            echo "$r $mode $impl $pps $pct $waits $offer" >>"$results"
        done
    done
done
ended="$(date -u '+%Y-%m-%d %H:%M:%S')"

# The summary, on stdout: the configuration, every measurement by round, then per mode means,
# medians and the geometric mean of the per-round jxdp / C ratios (each from one adjacent pair,
# so a slow stretch of the machine hits both sides of the ratio). "cpu": the share of its CPU the
# receiver's loop thread got while measuring (busy-polling: whatever CFS gave it; polling: what it
# needed); "per CPU-s": mean pps / mean CPU share; "waits/s": poll(2) waits per second (poll mode);
# "offered": what the generator offered while each receiver ran (sent + refused by the veth, per
# second of its run); a receiver well below its offer is the bottleneck, not the generator.
echo "$config"
echo "start $started UTC (load $load0), end $ended UTC (load $(cut -d' ' -f1-3 /proc/loadavg))"
awk -v secs="$secs" '
    function median(a, n,    i, j, t, b) {
        for (i = 1; i <= n; i++) b[i] = a[i]
        for (i = 2; i <= n; i++) for (j = i; j > 1 && b[j - 1] > b[j]; j--) { t = b[j]; b[j] = b[j - 1]; b[j - 1] = t }
        return n % 2 ? b[(n + 1) / 2] : (b[n / 2] + b[n / 2 + 1]) / 2
    }
    { pps[$2, $3, $1] = $4; cpu[$2, $3, $1] = $5; waits[$2, $3, $1] = $6; off[$2, $3, $1] = $7; if ($1 > rounds) rounds = $1 }
    END {
        printf "\n| round | mode   | C pps      | jxdp pps   | jxdp / C | C cpu  | jxdp cpu | C waits/s | jxdp waits/s | offered C / jxdp    |\n"
        printf   "|------:|--------|-----------:|-----------:|---------:|-------:|---------:|----------:|-------------:|---------------------|\n"
        for (r = 1; r <= rounds; r++) for (m = 1; m <= 2; m++) {
            mode = m == 1 ? "rxdrop" : "l2fwd"
            c = pps[mode, "c", r]; j = pps[mode, "jxdp", r]
            printf "| %5d | %-6s | %10d | %10d | %7.1f%% | %5.1f%% | %7.1f%% | %9d | %12d | %9d / %-9d |\n", r, mode, c, j,
                c ? 100 * j / c : 0, cpu[mode, "c", r], cpu[mode, "jxdp", r], waits[mode, "c", r] / secs,
                waits[mode, "jxdp", r] / secs, off[mode, "c", r], off[mode, "jxdp", r]
        }
        printf "\n| mode   | C mean     | jxdp mean  | jxdp / C (means) | C median   | jxdp median | jxdp / C (medians) | jxdp / C paired (geomean, min-max) | C cpu  | jxdp cpu | jxdp / C per CPU-s |\n"
        printf   "|--------|-----------:|-----------:|-----------------:|-----------:|------------:|-------------------:|-----------------------------------:|-------:|---------:|-------------------:|\n"
        for (m = 1; m <= 2; m++) {
            mode = m == 1 ? "rxdrop" : "l2fwd"
            sc = sj = scc = sjc = lg = 0; lo = 1e9; hi = 0; np = 0
            for (r = 1; r <= rounds; r++) {
                c = pps[mode, "c", r]; j = pps[mode, "jxdp", r]
                cs[r] = c; js[r] = j; sc += c; sj += j; scc += cpu[mode, "c", r]; sjc += cpu[mode, "jxdp", r]
                if (c > 0 && j > 0) { q = j / c; lg += log(q); np++; if (q < lo) lo = q; if (q > hi) hi = q }
            }
            mc = sc / rounds; mj = sj / rounds; dc = median(cs, rounds); dj = median(js, rounds)
            printf "| %-6s | %10d | %10d | %15.1f%% | %10d | %11d | %17.1f%% | %13.1f%% (%6.1f%%-%6.1f%%) | %5.1f%% | %7.1f%% | %17.1f%% |\n",
                mode, mc, mj, mc ? 100 * mj / mc : 0, dc, dj, dc ? 100 * dj / dc : 0,
                np ? 100 * exp(lg / np) : 0, np ? 100 * lo : 0, np ? 100 * hi : 0, scc / rounds, sjc / rounds,
                (mc && scc && sjc) ? 100 * (mj / sjc) / (mc / scc) : 0
        }
    }' "$results"
