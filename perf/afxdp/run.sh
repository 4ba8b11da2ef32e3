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
(( rounds >= 1 && rounds <= 10 )) || { echo "ROUNDS must be 1..10" >&2; exit 2; }
(( warm >= 1 && warm <= 60 )) || { echo "JXDP_PERF_WARMUP must be 1..60" >&2; exit 2; }
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
            -d "$secs" -w "$warm" "${common[@]}" >"$build/rx.out" 2>"$build/rx.err" &
    else
        timeout $((secs + warm + 30)) "${rt[@]}" taskset -c 1 "${jxdp[@]}" xsk-bench --dev "$ifB" --netns "$nsB" \
            --mode "$mode" --duration "$secs" --warmup "$warm" --batch 64 --ring 2048 --frames 4096 --frame-size 2048 \
            >"$build/rx.out" 2>"$build/rx.err" &
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
    wait "$rx" || { echo "receiver $impl $mode failed:" >&2; cat "$build/rx.out" "$build/rx.err" >&2; exit 1; }
    out=$(cat "$build/rx.out")
    wait "$gen" || { echo "gen failed:" >&2; cat "$build/gen.out" >&2; exit 1; }
    echo "  $impl $mode: $out | napi $([[ -n "$napi" ]] && echo "pid $napi on CPU $napi_cpu" || echo "not threaded") | $(tail -1 "$build/gen.out")" >&2
    # The generator's offer: frames it handed to the veth plus those the veth refused (its peer
    # ring full: the receiver is the bottleneck), per second of its whole run.
    local offered
    offered=$(tail -1 "$build/gen.out" | awk '{ r = 0; if (match($0, /, [0-9]+ clones refused/)) r = substr($0, RSTART + 2, RLENGTH - 17);
        printf "%d", ($3 + r) / $6 }')
    echo "$(sed -n 's/.* pps \([0-9]*\) cpu \([0-9]*\)%.*/\1 \2/p' <<<"$out") $offered"
}

declare -A sum cpu gen
for mode in rxdrop l2fwd; do
    for impl in c jxdp; do sum[$impl,$mode]=0; cpu[$impl,$mode]=0; gen[$impl,$mode]=0; done
done
echo "AF_XDP rxdrop/l2fwd on veth, copy mode, ${secs}s measured (+${warm}s warm-up), $rounds rounds, $(uname -r)," \
    "gen ${JXDP_PERF_GEN_MODE:-clone} on CPU 0, NAPI $([[ -n "$napi_cpu" ]] && echo "threaded on CPU $napi_cpu, nice $napi_nice" || echo "not threaded"), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for ((r = 1; r <= rounds; r++)); do
    for mode in rxdrop l2fwd; do
        for impl in c jxdp; do
            read -r pps pct offer < <(measure "$impl" "$mode")
            [[ -n "$pps" && -n "$pct" && -n "$offer" ]] || { echo "run.sh: no 'pps N cpu C%' from $impl $mode" >&2; exit 1; }
            gen[$impl,$mode]=$((gen[$impl,$mode] + offer))
            sum[$impl,$mode]=$((sum[$impl,$mode] + pps))
            cpu[$impl,$mode]=$((cpu[$impl,$mode] + pct))
        done
    done
done

# Means over the rounds. "cpu": the CPU share the receiver got while measuring (a shared machine
# moves it most); "per CPU-s": mean pps / mean CPU share, i.e. frames per second of receiver CPU;
# "gen offered": what the generator offered while each receiver ran (sent + refused by the veth, per
# second of its run); a receiver well below its offer is the bottleneck, not the generator.
printf '\n| mode   | C (libxdp) pps | jxdp pps   | jxdp / C | C cpu | jxdp cpu | jxdp / C per CPU-s | gen offered (C / jxdp) |\n'
printf '|--------|----------------|------------|----------|-------|----------|--------------------|------------------------|\n'
for mode in rxdrop l2fwd; do
    c=$((sum[c,$mode] / rounds)); j=$((sum[jxdp,$mode] / rounds))
    cc=$((cpu[c,$mode] / rounds)); jc=$((cpu[jxdp,$mode] / rounds))
    printf '| %-6s | %14d | %10d | %7.1f%% | %4d%% | %7d%% | %17.1f%% | %10d / %-9d |\n' "$mode" "$c" "$j" \
        "$(awk -v a="$j" -v b="$c" 'BEGIN { print b ? 100 * a / b : 0 }')" "$cc" "$jc" \
        "$(awk -v a="$j" -v b="$c" -v ac="$jc" -v bc="$cc" 'BEGIN { print (b && ac && bc) ? 100 * (a / ac) / (b / bc) : 0 }')" \
        $((gen[c,$mode] / rounds)) $((gen[jxdp,$mode] / rounds))
done
