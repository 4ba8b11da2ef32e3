package io.jxdp.ffi.bpf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every offset in {@link BpfAttr} and {@link BpfInfoLayout} against the C header: a small C
 * program ({@code layout/bpf_offsets.c}) prints {@code offsetof}/{@code sizeof} from
 * {@code <linux/bpf.h>}, compiled with this machine's clang-19 (Katran's lesson: a layout kept
 * in sync by hand is tested against the compiler).
 */
class BpfLayoutTest {

    @Test
    void javaOffsetsMatchTheUapiHeader(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("bpf_offsets.c");
        try (InputStream in = BpfLayoutTest.class.getResourceAsStream("/layout/bpf_offsets.c")) {
            Files.write(src, in.readAllBytes());
        }
        Path exe = dir.resolve("bpf_offsets");
        BpfProgTest.run(List.of("clang-19", "-I/usr/include/x86_64-linux-gnu", "-o", exe.toString(), src.toString()));
        Map<String, Integer> c = new HashMap<>();
        for (String line : BpfProgTest.run(List.of(exe.toString())).split("\n")) {
            String[] kv = line.trim().split(" ");
            c.put(kv[0], Integer.parseInt(kv[1]));
        }

        Map<String, Integer> java = new LinkedHashMap<>();
        java.put("attr.size", BpfAttr.SIZE);
        java.put("attr.map_type", BpfAttr.MAP_TYPE);
        java.put("attr.key_size", BpfAttr.KEY_SIZE);
        java.put("attr.value_size", BpfAttr.VALUE_SIZE);
        java.put("attr.max_entries", BpfAttr.MAX_ENTRIES);
        java.put("attr.map_flags", BpfAttr.MAP_FLAGS);
        java.put("attr.inner_map_fd", BpfAttr.INNER_MAP_FD);
        java.put("attr.numa_node", BpfAttr.NUMA_NODE);
        java.put("attr.map_name", BpfAttr.MAP_NAME);
        java.put("attr.map_ifindex", BpfAttr.MAP_IFINDEX);
        java.put("attr.btf_fd", BpfAttr.BTF_FD);
        java.put("attr.btf_key_type_id", BpfAttr.BTF_KEY_TYPE_ID);
        java.put("attr.btf_value_type_id", BpfAttr.BTF_VALUE_TYPE_ID);
        java.put("attr.btf_vmlinux_value_type_id", BpfAttr.BTF_VMLINUX_VALUE_TYPE_ID);
        java.put("attr.map_extra", BpfAttr.MAP_EXTRA);
        java.put("attr.map_fd", BpfAttr.ELEM_MAP_FD);
        java.put("attr.key", BpfAttr.ELEM_KEY);
        java.put("attr.value", BpfAttr.ELEM_VALUE);
        java.put("attr.next_key", BpfAttr.ELEM_NEXT_KEY);
        java.put("attr.flags", BpfAttr.ELEM_FLAGS);
        java.put("attr.prog_type", BpfAttr.PROG_TYPE);
        java.put("attr.insn_cnt", BpfAttr.INSN_CNT);
        java.put("attr.insns", BpfAttr.INSNS);
        java.put("attr.license", BpfAttr.LICENSE);
        java.put("attr.log_level", BpfAttr.LOG_LEVEL);
        java.put("attr.log_size", BpfAttr.LOG_SIZE);
        java.put("attr.log_buf", BpfAttr.LOG_BUF);
        java.put("attr.kern_version", BpfAttr.KERN_VERSION);
        java.put("attr.prog_flags", BpfAttr.PROG_FLAGS);
        java.put("attr.prog_name", BpfAttr.PROG_NAME);
        java.put("attr.prog_ifindex", BpfAttr.PROG_IFINDEX);
        java.put("attr.expected_attach_type", BpfAttr.EXPECTED_ATTACH_TYPE);
        java.put("attr.prog_btf_fd", BpfAttr.PROG_BTF_FD);
        java.put("attr.func_info_rec_size", BpfAttr.FUNC_INFO_REC_SIZE);
        java.put("attr.func_info", BpfAttr.FUNC_INFO);
        java.put("attr.func_info_cnt", BpfAttr.FUNC_INFO_CNT);
        java.put("attr.line_info_rec_size", BpfAttr.LINE_INFO_REC_SIZE);
        java.put("attr.line_info", BpfAttr.LINE_INFO);
        java.put("attr.line_info_cnt", BpfAttr.LINE_INFO_CNT);
        java.put("attr.attach_btf_id", BpfAttr.ATTACH_BTF_ID);
        java.put("attr.attach_prog_fd", BpfAttr.ATTACH_PROG_FD);
        java.put("attr.pathname", BpfAttr.PATHNAME);
        java.put("attr.bpf_fd", BpfAttr.OBJ_BPF_FD);
        java.put("attr.file_flags", BpfAttr.FILE_FLAGS);
        java.put("attr.test.prog_fd", BpfAttr.TEST_PROG_FD);
        java.put("attr.test.retval", BpfAttr.TEST_RETVAL);
        java.put("attr.test.data_size_in", BpfAttr.TEST_DATA_SIZE_IN);
        java.put("attr.test.data_size_out", BpfAttr.TEST_DATA_SIZE_OUT);
        java.put("attr.test.data_in", BpfAttr.TEST_DATA_IN);
        java.put("attr.test.data_out", BpfAttr.TEST_DATA_OUT);
        java.put("attr.test.repeat", BpfAttr.TEST_REPEAT);
        java.put("attr.test.duration", BpfAttr.TEST_DURATION);
        java.put("attr.test.ctx_size_in", BpfAttr.TEST_CTX_SIZE_IN);
        java.put("attr.test.ctx_size_out", BpfAttr.TEST_CTX_SIZE_OUT);
        java.put("attr.test.ctx_in", BpfAttr.TEST_CTX_IN);
        java.put("attr.test.ctx_out", BpfAttr.TEST_CTX_OUT);
        java.put("attr.test.flags", BpfAttr.TEST_FLAGS);
        java.put("attr.test.cpu", BpfAttr.TEST_CPU);
        java.put("attr.test.batch_size", BpfAttr.TEST_BATCH_SIZE);
        java.put("attr.prog_id", BpfAttr.GET_ID);
        java.put("attr.map_id", BpfAttr.GET_ID);
        java.put("attr.next_id", BpfAttr.NEXT_ID);
        java.put("attr.open_flags", BpfAttr.OPEN_FLAGS);
        java.put("attr.info.bpf_fd", BpfAttr.INFO_BPF_FD);
        java.put("attr.info.info_len", BpfAttr.INFO_LEN);
        java.put("attr.info.info", BpfAttr.INFO);
        java.put("attr.btf", BpfAttr.BTF);
        java.put("attr.btf_log_buf", BpfAttr.BTF_LOG_BUF);
        java.put("attr.btf_size", BpfAttr.BTF_SIZE);
        java.put("attr.btf_log_size", BpfAttr.BTF_LOG_SIZE);
        java.put("attr.btf_log_level", BpfAttr.BTF_LOG_LEVEL);
        java.put("attr.link_create.prog_fd", BpfAttr.LINK_PROG_FD);
        java.put("attr.link_create.target_fd", BpfAttr.LINK_TARGET_FD);
        java.put("attr.link_create.attach_type", BpfAttr.LINK_ATTACH_TYPE);
        java.put("attr.link_create.flags", BpfAttr.LINK_FLAGS);

        java.put("bpf_map_info.size", BpfInfoLayout.MAP_INFO_SIZE);
        java.put("bpf_map_info.type", BpfInfoLayout.MAP_TYPE);
        java.put("bpf_map_info.id", BpfInfoLayout.MAP_ID);
        java.put("bpf_map_info.key_size", BpfInfoLayout.MAP_KEY_SIZE);
        java.put("bpf_map_info.value_size", BpfInfoLayout.MAP_VALUE_SIZE);
        java.put("bpf_map_info.max_entries", BpfInfoLayout.MAP_MAX_ENTRIES);
        java.put("bpf_map_info.map_flags", BpfInfoLayout.MAP_FLAGS);
        java.put("bpf_map_info.name", BpfInfoLayout.MAP_NAME);
        java.put("bpf_map_info.ifindex", BpfInfoLayout.MAP_IFINDEX);
        java.put("bpf_map_info.btf_id", BpfInfoLayout.MAP_BTF_ID);
        java.put("bpf_map_info.btf_key_type_id", BpfInfoLayout.MAP_BTF_KEY_TYPE_ID);
        java.put("bpf_map_info.btf_value_type_id", BpfInfoLayout.MAP_BTF_VALUE_TYPE_ID);
        java.put("bpf_map_info.map_extra", BpfInfoLayout.MAP_EXTRA);
        java.put("bpf_prog_info.size", BpfInfoLayout.PROG_INFO_SIZE);
        java.put("bpf_prog_info.type", BpfInfoLayout.PROG_TYPE);
        java.put("bpf_prog_info.id", BpfInfoLayout.PROG_ID);
        java.put("bpf_prog_info.tag", BpfInfoLayout.PROG_TAG);
        java.put("bpf_prog_info.jited_prog_len", BpfInfoLayout.PROG_JITED_LEN);
        java.put("bpf_prog_info.xlated_prog_len", BpfInfoLayout.PROG_XLATED_LEN);
        java.put("bpf_prog_info.load_time", BpfInfoLayout.PROG_LOAD_TIME);
        java.put("bpf_prog_info.created_by_uid", BpfInfoLayout.PROG_CREATED_BY_UID);
        java.put("bpf_prog_info.nr_map_ids", BpfInfoLayout.PROG_NR_MAP_IDS);
        java.put("bpf_prog_info.name", BpfInfoLayout.PROG_NAME);
        java.put("bpf_prog_info.ifindex", BpfInfoLayout.PROG_IFINDEX);
        java.put("bpf_prog_info.btf_id", BpfInfoLayout.PROG_BTF_ID);
        java.put("bpf_prog_info.run_time_ns", BpfInfoLayout.PROG_RUN_TIME_NS);
        java.put("bpf_prog_info.run_cnt", BpfInfoLayout.PROG_RUN_CNT);
        java.put("bpf_prog_info.verified_insns", BpfInfoLayout.PROG_VERIFIED_INSNS);
        java.put("bpf_link_info.size", BpfInfoLayout.LINK_INFO_SIZE);
        java.put("bpf_link_info.type", BpfInfoLayout.LINK_TYPE);
        java.put("bpf_link_info.id", BpfInfoLayout.LINK_ID);
        java.put("bpf_link_info.prog_id", BpfInfoLayout.LINK_PROG_ID);
        java.put("bpf_link_info.xdp.ifindex", BpfInfoLayout.LINK_XDP_IFINDEX);
        java.put("bpf_btf_info.size", BpfInfoLayout.BTF_INFO_SIZE);
        java.put("bpf_btf_info.btf_size", BpfInfoLayout.BTF_SIZE);
        java.put("bpf_btf_info.id", BpfInfoLayout.BTF_ID);

        for (Map.Entry<String, Integer> e : java.entrySet()) {
            assertTrue(c.containsKey(e.getKey()), "the C program does not print " + e.getKey());
            assertEquals(c.get(e.getKey()), e.getValue(), e.getKey());
        }
        // the gpl_compatible bitfield is the word after ifindex (bitfields have no offsetof)
        assertEquals(c.get("bpf_prog_info.ifindex") + 4, BpfInfoLayout.PROG_GPL_COMPATIBLE);
        assertEquals(BpfAttr.OBJ_NAME_LEN, c.get("attr.map_ifindex") - c.get("attr.map_name"));
    }
}
