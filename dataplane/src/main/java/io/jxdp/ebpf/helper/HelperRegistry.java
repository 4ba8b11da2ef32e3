package io.jxdp.ebpf.helper;

/**
 * Helpers by kernel helper id ({@link HelperIds}). Registration is for set-up time; lookups are
 * array reads. Not thread-safe for concurrent registration; publish the registry before use.
 */
public final class HelperRegistry {
    private Helper[] helpers = new Helper[HelperIds.MAX_ID + 1];
    private String[] names = new String[HelperIds.MAX_ID + 1];

    /** Registers helper h under id with a name for messages; replaces an earlier registration. */
    public HelperRegistry register(int id, String name, Helper h) {
        if (id < 0) {
            throw new IllegalArgumentException("helper id must be >= 0, got " + id);
        }
        if (h == null || name == null) {
            throw new IllegalArgumentException("helper " + id + ": name and implementation are required");
        }
        if (id >= helpers.length) {
            int n = Math.max(id + 1, helpers.length * 2);
            helpers = java.util.Arrays.copyOf(helpers, n);
            names = java.util.Arrays.copyOf(names, n);
        }
        helpers[id] = h;
        names[id] = name;
        return this;
    }

    /** Registers h under id with the kernel's name for that id. */
    public HelperRegistry register(int id, Helper h) {
        String n = HelperIds.name(id);
        return register(id, n == null ? "helper_" + id : n, h);
    }

    /** The helper registered under id, or null. */
    public Helper get(int id) {
        return id >= 0 && id < helpers.length ? helpers[id] : null;
    }

    /** True if a helper is registered under id. */
    public boolean contains(int id) {
        return get(id) != null;
    }

    /** The registered name of id, else the kernel's name, else null. */
    public String name(int id) {
        if (id >= 0 && id < names.length && names[id] != null) {
            return names[id];
        }
        return HelperIds.name(id);
    }

    /**
     * Why a call to id cannot be made, for error messages: "unknown helper 999" when the kernel has
     * no such id, "helper 12 (tail_call) not supported" when it has one but none is registered.
     */
    public String unavailable(long id) {
        String kernel = id >= 0 && id <= Integer.MAX_VALUE ? HelperIds.name((int) id) : null;
        return kernel == null ? "unknown helper " + id : "helper " + id + " (" + kernel + ") not supported";
    }
}
