package io.jxdp.ebpf.map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.sys.Errno;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class MapTypeTest {
    /** Every BPF_MAP_TYPE_* of this machine's uapi header has the same number in MapType. */
    @Test
    void idsMatchTheKernelHeader() throws Exception {
        String h = Files.readString(Path.of("/usr/include/linux/bpf.h"));
        Matcher block = Pattern.compile("enum bpf_map_type \\{(.*?)\\};", Pattern.DOTALL).matcher(h);
        assertTrue(block.find(), "enum bpf_map_type in /usr/include/linux/bpf.h");
        int next = 0;
        int seen = 0;
        Matcher m = Pattern.compile("BPF_MAP_TYPE_(\\w+)\\s*(=\\s*([^,\\s]+))?\\s*,").matcher(block.group(1));
        while (m.find()) {
            String name = m.group(1);
            String value = m.group(3);
            if (value != null && value.startsWith("BPF_MAP_TYPE_")) {
                // alias such as CGROUP_STORAGE = CGROUP_STORAGE_DEPRECATED: same number as the target
                continue;
            }
            int id = value == null ? next : Integer.parseInt(value);
            next = id + 1;
            String ours = name.replace("_DEPRECATED", "");
            assertEquals(id, MapType.valueOf(ours).id(), name);
            assertEquals(MapType.valueOf(ours), MapType.fromId(id));
            seen++;
        }
        assertTrue(seen >= 30, "parsed " + seen + " map types");
    }

    @Test
    void unknownIdsAreNamed() {
        for (int bad : List.of(-1, 34, 1000)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MapType.fromId(bad));
            assertTrue(e.getMessage().contains("unknown map type " + bad), e.getMessage());
        }
    }

    @Test
    void unsupportedTypesAreRefusedClearly() {
        MapException e = assertThrows(MapException.class,
                () -> Maps.create(MapDefinition.of("sockmap", MapType.SOCKMAP, 4, 4, 16), 1));
        assertEquals(Errno.EOPNOTSUPP, e.errno());
        assertEquals("sockmap", e.mapName());
        assertTrue(e.getMessage().contains("BPF_MAP_TYPE_SOCKMAP"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Maps.create(MapDefinition.of("a", MapType.ARRAY, 4, 4, 1), 0));
    }

    @Test
    void creationErrorsNameTheMapAndTheReason() {
        MapException e = assertThrows(MapException.class,
                () -> Maps.create(MapDefinition.of("counters", MapType.ARRAY, 8, 4, 16), 1));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("counters") && e.getMessage().contains("key_size must be 4"), e.getMessage());
        assertTrue(e.getMessage().contains("EINVAL"), e.getMessage());
    }
}
