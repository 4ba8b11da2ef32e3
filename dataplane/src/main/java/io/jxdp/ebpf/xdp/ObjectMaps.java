package io.jxdp.ebpf.xdp;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.MapEntry;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.map.BpfMap;
import io.jxdp.ebpf.map.MapException;
import io.jxdp.ebpf.map.Rcu;
import io.jxdp.ffi.bpf.Bpf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The maps of an object as jxdp creates them at load, without a program: what {@code map show} and
 * {@code map dump} print (global data with its initial contents, {@code .rodata} frozen).
 */
public final class ObjectMaps implements AutoCloseable {
    private final BpfMap[] maps;
    private final String[] names;
    /** The pin file of each map, null when it is not pinned. */
    private final java.nio.file.Path[] pinFiles;

    private ObjectMaps(BpfObject obj, int cpus, Pinning pinning) {
        this.maps = XdpLinker.createMaps(obj, cpus, new Rcu(1), pinning);
        this.names = new String[maps.length];
        this.pinFiles = new java.nio.file.Path[maps.length];
        for (int i = 0; i < maps.length; i++) {
            names[i] = XdpLinker.userName(obj.maps().get(i));
            if (pinning.pins(names[i], obj.maps().get(i).pinning() == io.jxdp.ebpf.loader.MapSpec.PIN_BY_NAME)) {
                pinFiles[i] = pinning.dir().resolve(names[i]);
            }
        }
    }

    /** The file the named map is pinned in, empty when it is not pinned. */
    public Optional<java.nio.file.Path> pinFile(String name) {
        map(name); // the same error for an unknown name
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(name) || maps[i].name().equals(name)) {
                return Optional.ofNullable(pinFiles[i]);
            }
        }
        return Optional.empty();
    }

    /**
     * Creates every map of obj with the kernel's possible CPU count of per-CPU slots; its
     * LIBBPF_PIN_BY_NAME maps are opened from (or created in) the default pin directory.
     */
    public static ObjectMaps create(BpfObject obj) {
        return create(obj, Pinning.defaults());
    }

    /** As {@link #create(BpfObject)}, the maps {@code pinning} selects backed by their pin files. */
    public static ObjectMaps create(BpfObject obj, Pinning pinning) {
        return new ObjectMaps(obj, Bpf.numPossibleCpus(), pinning);
    }

    /** Map names as user space sees them (global data by section: {@code .rodata}, {@code .data}, {@code .bss}). */
    public List<String> names() {
        return List.of(names);
    }

    /** The map of that name (or its libbpf name, e.g. {@code xdp_conf.rodata}). */
    public BpfMap map(String name) {
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(name) || maps[i].name().equals(name)) {
                return maps[i];
            }
        }
        throw new EngineException("no map '" + name + "' (maps: " + (names.length == 0 ? "none" : String.join(", ", names))
                + ")");
    }

    /** Every entry of the named map, per-CPU values split per CPU. */
    public List<MapEntry> dump(String name) {
        return dump(map(name));
    }

    static List<MapEntry> dump(BpfMap m) {
        List<MapEntry> out = new ArrayList<>();
        if (!m.supports(io.jxdp.ebpf.map.MapOp.GET_NEXT_KEY)) {
            return out; // QUEUE, STACK, RINGBUF: no keys to walk (the kernel's get_next_key is EINVAL too)
        }
        if (m.type() == io.jxdp.ebpf.map.MapType.XSKMAP) {
            return out; // user space cannot read its values (EOPNOTSUPP, as the kernel): dumped empty, as the kernel engine
        }
        try {
            Optional<byte[]> k = m.getNextKey(null);
            long guard = 0;
            while (k.isPresent() && guard++ <= Integer.toUnsignedLong(m.maxEntries())) {
                byte[] key = k.get();
                Optional<byte[]> v = m.lookup(key);
                if (v.isPresent()) {
                    out.add(new MapEntry(key, split(m, v.get())));
                }
                k = m.getNextKey(key);
            }
        } catch (MapException e) {
            throw new EngineException("map '" + m.name() + "': " + e.getMessage(), e);
        }
        return out;
    }

    static List<byte[]> split(BpfMap m, byte[] user) {
        if (!m.isPerCpu()) {
            return List.of(user);
        }
        int stride = (m.valueSize() + 7) & ~7;
        List<byte[]> values = new ArrayList<>(m.nCpus());
        for (int c = 0; c < m.nCpus(); c++) {
            values.add(Arrays.copyOfRange(user, c * stride, c * stride + m.valueSize()));
        }
        return values;
    }

    @Override
    public void close() {
        for (BpfMap m : maps) {
            m.close();
        }
    }
}
