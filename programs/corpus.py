#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Helper for kernel-expect.sh: reads corpus.yaml, pcaps and map YAML, and turns bpftool's JSON map
dumps into map YAML. Standard library plus PyYAML (python3-yaml) only.

  corpus.py entries                 TSV: name object program pcap maps-yaml-or-'-' verdicts(sorted, ',')
  corpus.py split PCAP DIR          one DIR/NNNN.bin per packet; prints the count
  corpus.py preload MAPS_YAML       TSV: map-name key-hex value-hex (bpftool 'hex' byte lists)
  corpus.py dump-maps DIR OBJNAME   map YAML of every map pinned in DIR, read with bpftool
"""
import json
import os
import struct
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SECTIONS = (".rodata", ".data", ".bss")


def die(msg):
    sys.stderr.write(f"corpus.py: {msg}\n")
    sys.exit(1)


def load_yaml(path):
    try:
        with open(path) as f:
            return yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        die(f"{path}: {e}")


def hexbytes(s, where):
    s = str(s).replace(" ", "")
    try:
        raw = bytes.fromhex(s)
    except ValueError:
        die(f"{where}: not an even-length hex string: {s!r}")
    if not raw:
        die(f"{where}: empty hex string")
    return " ".join(f"{x:02x}" for x in raw)


def cmd_entries():
    corpus = load_yaml(os.path.join(HERE, "corpus.yaml"))
    for i, e in enumerate(corpus.get("programs") or []):
        for k in ("name", "object", "program", "pcap", "verdicts"):
            if k not in e:
                die(f"corpus.yaml: programs[{i}] has no '{k}'")
        verdicts = ",".join(sorted(e["verdicts"]))
        print("\t".join([e["name"], e["object"], e["program"], e["pcap"], e.get("maps") or "-", verdicts]))


def cmd_split(pcap, outdir):
    with open(pcap, "rb") as f:
        data = f.read()
    if len(data) < 24:
        die(f"{pcap}: shorter than a pcap header")
    magic = struct.unpack("<I", data[:4])[0]
    if magic == 0xA1B2C3D4:
        endian = "<"
    elif magic == 0xD4C3B2A1:
        endian = ">"
    else:
        die(f"{pcap}: not a microsecond pcap (magic {magic:#x})")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype != 1:
        die(f"{pcap}: link type {linktype}, expected 1 (Ethernet)")
    off, n = 24, 0
    while off < len(data):
        if off + 16 > len(data):
            die(f"{pcap}: truncated record header at byte {off}")
        _, _, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        if incl != orig or off + incl > len(data):
            die(f"{pcap}: record {n} at byte {off - 16} is cut (incl {incl}, orig {orig})")
        with open(os.path.join(outdir, f"{n:04d}.bin"), "wb") as out:
            out.write(data[off:off + incl])
        off += incl
        n += 1
    print(n)


def cmd_preload(path):
    doc = load_yaml(os.path.join(HERE, path)) or {}
    for name, entries in (doc.get("maps") or {}).items():
        for i, e in enumerate(entries or []):
            where = f"{path}: maps.{name}[{i}]"
            if "key" not in e:
                die(f"{where}: no 'key'")
            key = hexbytes(e["key"], where + ".key")
            if "value" in e:
                value = hexbytes(e["value"], where + ".value")
            elif "values" in e:
                vals = [hexbytes(v, f"{where}.values") for v in e["values"]]
                # bpftool v7 writes the one value it is given to every possible CPU.
                if len(set(vals)) != 1:
                    die(f"{where}: per-CPU values differ; bpftool can only set one value for all CPUs")
                value = vals[0]
            else:
                die(f"{where}: neither 'value' nor 'values'")
            print(f"{name}\t{key}\t{value}")


def hexstr(byte_list):
    return "".join(x[2:] if x.startswith("0x") else x for x in byte_list)


# Map types without keys to walk (kernel: no map_get_next_key), left out of the map YAML.
KEYLESS = ("queue", "stack", "ringbuf", "bloom_filter", "user_ringbuf")


def cmd_dump_maps(mapdir, objname):
    out = {}
    for pinned in sorted(os.listdir(mapdir)):
        name = pinned
        # libbpf names global-data maps "<first 8 chars of the object>.<section>" and pins them with
        # '.' replaced by '_'; use the section name, which is what the object's ELF calls them.
        for sec in SECTIONS:
            if pinned == (objname[:8] + sec).replace(".", "_"):
                name = sec
        show = subprocess.run(["bpftool", "-j", "map", "show", "pinned", os.path.join(mapdir, pinned)],
                              capture_output=True, text=True)
        if show.returncode == 0 and json.loads(show.stdout).get("type") in KEYLESS:
            out[name] = []  # no get_next_key: nothing to walk (the engines' dumps are empty too)
            continue
        res = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", os.path.join(mapdir, pinned)],
                             capture_output=True, text=True)
        if res.returncode != 0:
            die(f"bpftool map dump {pinned}: {res.stdout}{res.stderr}")
        entries = []
        for e in json.loads(res.stdout):
            if "error" in e or isinstance(e.get("value"), dict):
                continue  # DEVMAP/CPUMAP walk every index; an empty slot's lookup fails (ENOENT)
            item = {"key": hexstr(e["key"])}
            if "values" in e:
                item["values"] = [hexstr(v["value"]) for v in sorted(e["values"], key=lambda v: v["cpu"])]
            else:
                item["value"] = hexstr(e["value"])
            entries.append(item)
        entries.sort(key=lambda it: it["key"])
        out[name] = entries
    print("# Map contents after the last packet, written by kernel-expect.sh (format: README.md).")
    print("maps:" + (" {}" if not out else ""))
    for name in sorted(out):
        print(f"  {json.dumps(name)}:" + (" []" if not out[name] else ""))
        for it in out[name]:
            print(f"    - key: \"{it['key']}\"")
            if "values" in it:
                print("      values: [" + ", ".join(f"\"{v}\"" for v in it["values"]) + "]")
            else:
                print(f"      value: \"{it['value']}\"")


def main(argv):
    if len(argv) >= 1 and argv[0] == "entries" and len(argv) == 1:
        cmd_entries()
    elif len(argv) == 3 and argv[0] == "split":
        cmd_split(argv[1], argv[2])
    elif len(argv) == 2 and argv[0] == "preload":
        cmd_preload(argv[1])
    elif len(argv) == 3 and argv[0] == "dump-maps":
        cmd_dump_maps(argv[1], argv[2])
    else:
        die("usage: see the docstring at the top of corpus.py")


if __name__ == "__main__":
    main(sys.argv[1:])
