// Differential oracle: prints each program's instructions as libbpf relocated them
// (bpf_program__insns after bpf_object__load), one "index hex-slot" line per slot.
// Needs root (it loads into the kernel). Run via `make libbpf-dumps`; outputs are committed.
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

int main(int argc, char **argv)
{
    struct bpf_object *obj;
    struct bpf_program *prog;
    struct bpf_map *map;

    if (argc != 2)
        return 2;
    libbpf_set_print(NULL);
    obj = bpf_object__open(argv[1]);
    if (!obj)
        return 1;
    /* no bpffs here: drop LIBBPF_PIN_BY_NAME so the load does not stop before relocation */
    bpf_object__for_each_map(map, obj)
        bpf_map__set_pin_path(map, NULL);
    /* a verifier rejection (e.g. a poisoned CO-RE insn) still leaves the relocated insns */
    (void)bpf_object__load(obj);
    bpf_object__for_each_map(map, obj)
        printf("map %s %d %u %u %u 0x%x\n", bpf_map__name(map), (int)bpf_map__type(map),
               bpf_map__key_size(map), bpf_map__value_size(map), bpf_map__max_entries(map),
               bpf_map__map_flags(map));
    bpf_object__for_each_program(prog, obj) {
        const struct bpf_insn *insns = bpf_program__insns(prog);
        size_t n = bpf_program__insn_cnt(prog);

        printf("program %s %zu\n", bpf_program__name(prog), n);
        for (size_t i = 0; i < n; i++) {
            unsigned long long v;

            memcpy(&v, &insns[i], sizeof(v));
            printf("%zu %016llx\n", i, v);
        }
    }
    bpf_object__close(obj);
    return 0;
}
