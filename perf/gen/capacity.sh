#!/usr/bin/env bash
# Capacity of `./jxdp gen --mode clone`: one sender thread on CPU 0 into a veth whose peer drops
# everything in XDP (a one-instruction XDP_DROP program, native), for --burst 64 and 1 and
# --flows 1 and 16. Prints, per case, frames the veth accepted per second, frames it refused (its
# peer ring full) and their sum (what the generator offered).
#
# usage: perf/gen/capacity.sh [NAPI_CPU: 1 (default) | 0 | off] [SECONDS (default 4)]
# The peer's NAPI runs threaded, pinned to NAPI_CPU (off: in the sender's softirq). Needs root; the
# trap removes the namespaces it made.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
napi="${1:-1}"
secs="${2:-4}"
[[ $(id -u) == 0 ]] || { echo "capacity.sh: needs root" >&2; exit 1; }
tag=$(printf '%04x' $((RANDOM)))
nsA="jxdp-cap$tag-a"; nsB="jxdp-cap$tag-b"; ifA="jcp${tag}a"; ifB="jcp${tag}b"
cleanup() { ip netns del "$nsA" 2>/dev/null || true; ip netns del "$nsB" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
( cd "$root" && ./jxdp --version >/dev/null )
ip netns add "$nsA"; ip netns add "$nsB"
for ns in "$nsA" "$nsB"; do
    ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip -n "$nsA" link add "$ifA" type veth peer name "$ifB" netns "$nsB"
ip -n "$nsA" link set "$ifA" up
ip -n "$nsB" link set "$ifB" up
# The peer's XDP program: drop everything (built here like run.sh builds its C reference).
build="$(mktemp -d /tmp/jxdp-cap.XXXXXX)"
trap 'cleanup; rm -rf "$build"' EXIT INT TERM
printf '#include <linux/bpf.h>\n__attribute__((section("xdp"), used)) int drop(struct xdp_md *c) { return XDP_DROP; }\nchar _license[] __attribute__((section("license"), used)) = "GPL";\n' >"$build/drop.c"
clang-19 -target bpf -O2 -I/usr/include/x86_64-linux-gnu -c -o "$build/drop.o" "$build/drop.c"
ip -n "$nsB" link set "$ifB" xdpdrv obj "$build/drop.o" sec xdp
if [[ $napi != off ]]; then
    # veth has a NAPI once XDP is attached; `threaded` moves it to a kthread napi/<dev>-N.
    ip netns exec "$nsB" sh -c "echo 1 > /sys/class/net/$ifB/threaded"
    taskset -pc "$napi" "$(pgrep "^napi/$ifB" | head -1)" >/dev/null
fi
java=""
[[ -n "${JAVA_HOME:-}" ]] && java="$JAVA_HOME/bin/java"
[[ -x "$java" ]] || java=$(ls -d /usr/lib/jvm/*25*/bin/java 2>/dev/null | head -1)
desc="threaded NAPI on CPU $napi"; [[ $napi == off ]] && desc="NAPI not threaded"
echo "gen --mode clone capacity, ${secs}s per case, $desc, $(uname -r), $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
for burst in 64 1; do
    for flows in 1 16; do
        line=$(taskset -c 0 "$java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
            -jar "$root/dataplane/target/jxdp.jar" gen --dev "$ifA" --netns "$nsA" --udp --mode clone \
            --duration "$secs" --flows "$flows" --burst "$burst" --quiet 2>/dev/null | tail -1)
        awk -v b="$burst" -v f="$flows" '{ r = 0; if (match($0, /, [0-9]+ clones refused/)) r = substr($0, RSTART + 2, RLENGTH - 17);
            printf "burst %-2d flows %-2d  accepted %8.0f pps  refused %8.0f pps  offered %8.0f pps\n", b, f, $3 / $6, r / $6, ($3 + r) / $6 }' <<<"$line"
    done
done
