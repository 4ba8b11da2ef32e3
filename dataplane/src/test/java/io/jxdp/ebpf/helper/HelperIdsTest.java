package io.jxdp.ebpf.helper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class HelperIdsTest {

    @Test
    void namesMatchTheInstalledKernelHeader() throws Exception {
        // include/uapi/linux/bpf.h, installed by linux-libc-dev (a dependency of clang's libc headers)
        Path header = Path.of("/usr/include/linux/bpf.h");
        assertTrue(Files.exists(header), "kernel uapi header missing: " + header);
        String text = Files.readString(header);
        int start = text.indexOf("#define __BPF_FUNC_MAPPER(FN)");
        if (start < 0) {
            start = text.indexOf("#define ___BPF_FUNC_MAPPER(FN, ctx...)");
        }
        assertTrue(start >= 0, "no helper mapper in " + header);
        String body = text.substring(start, text.indexOf("\n\n", start));
        Matcher m = Pattern.compile("FN\\((\\w+)(?:, (\\d+))?").matcher(body);
        List<String> names = new ArrayList<>();
        while (m.find()) {
            if (m.group(2) != null) {
                assertEquals(names.size(), Integer.parseInt(m.group(2)), m.group(1));
            }
            names.add(m.group(1));
        }
        assertTrue(names.size() > 200, "found " + names.size() + " helpers");
        for (int id = 0; id < names.size(); id++) {
            assertEquals(names.get(id), HelperIds.name(id), "helper " + id);
        }
    }

    @Test
    void knownIdsAndNames() {
        assertEquals("map_lookup_elem", HelperIds.name(HelperIds.MAP_LOOKUP_ELEM));
        assertEquals("tail_call", HelperIds.name(HelperIds.TAIL_CALL));
        assertEquals("xdp_adjust_head", HelperIds.name(HelperIds.XDP_ADJUST_HEAD));
        assertEquals("cgrp_storage_delete", HelperIds.name(211));
        assertEquals(211, HelperIds.MAX_ID);
        assertNull(HelperIds.name(212));
        assertNull(HelperIds.name(-1));
        assertEquals(23, HelperIds.id("bpf_redirect"));
        assertEquals(-1, HelperIds.id("no_such_helper"));
    }

    @Test
    void registryLooksUpAndExplains() {
        Helper h = (ctx, r1, r2, r3, r4, r5) -> r1 + r2;
        HelperRegistry reg = new HelperRegistry().register(8, h).register(5000, "custom", h);
        assertSame(h, reg.get(8));
        assertEquals("get_smp_processor_id", reg.name(8));
        assertTrue(reg.contains(5000));
        assertEquals("custom", reg.name(5000));
        assertFalse(reg.contains(9));
        assertNull(reg.get(-3));
        assertEquals("unknown helper 999", reg.unavailable(999));
        assertEquals("helper 12 (tail_call) not supported", reg.unavailable(12));
        assertThrows(IllegalArgumentException.class, () -> reg.register(-1, "x", h));
        assertEquals(7, reg.get(8).call(new CallContext(), 3, 4, 0, 0, 0));
    }
}
