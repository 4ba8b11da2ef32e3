package io.jxdp.ebpf.xdp;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.map.BpfMap;
import io.jxdp.ebpf.map.MapDefinition;
import io.jxdp.ebpf.map.MapException;
import io.jxdp.ebpf.map.MapFlags;
import io.jxdp.ebpf.map.MapInMap;
import io.jxdp.ebpf.map.Maps;
import io.jxdp.ebpf.map.Rcu;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The control plane of an engine's map-in-map maps: inner maps created from an outer map's template
 * on the engine's RCU domain, put into and taken out of outer maps while the engine's thread runs
 * packets, and freed only when that thread can no longer hold them (the kernel's
 * {@code bpf_map_fd_put_ptr()} dropping the reference after an RCU grace period).
 *
 * <p>Why the engine's RCU: a program reads an inner HASH map's elements without a lock, so their
 * reuse must wait for the engine thread's quiescent state, as the object's own maps do.
 *
 * <p>Why the engine thread frees: an inner map retired while a run is in flight may still be used by
 * that run; at the end of the run (the engine's quiescent state) every map retired before it is
 * unreachable, so the engine thread closes them there ({@link #reclaim()}), briefly offline so that
 * the close's own grace period does not wait for itself. Nothing is freed while the engine is idle;
 * the engine's close frees the rest. The check per run costs nothing more than the engine's RCU
 * report: the flag is read only after a run at whose end the epoch had moved
 * ({@link Rcu#quiescent(int, long)}); no allocation.
 *
 * <p>Threads: {@link #create}, {@link #set} and {@link #retire} may be called from any one control
 * thread while the engine thread runs; {@link #reclaim()} only from the engine thread between runs.
 */
final class InnerMaps {
    private final Rcu rcu;
    private final int worker;
    private final int cpus;
    /** Inner maps this engine created and has not closed. */
    private final Set<BpfMap> owned = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<BpfMap> retired = new ConcurrentLinkedQueue<>();
    /**
     * Set (volatile) by {@link #retire} after it queued a map, cleared by {@link #reclaim} before it
     * drains the queue: a retirement is either drained by that reclaim or leaves the flag set for
     * the next run. {@link #retire} then moves the RCU epoch on ({@link Rcu#advance()}), so the
     * engine reads this flag only in a run after which the epoch moved.
     */
    private volatile boolean pending;

    InnerMaps(Rcu rcu, int worker, int cpus) {
        this.rcu = rcu;
        this.worker = worker;
        this.cpus = cpus;
    }

    static MapInMap outer(String name, BpfMap m) {
        if (!(m instanceof MapInMap mm)) {
            throw new EngineException("map '" + name + "' (" + m.type().kernelName()
                    + ") holds no maps: only ARRAY_OF_MAPS and HASH_OF_MAPS have inner maps");
        }
        return mm;
    }

    /** An empty map built like {@code outer}'s inner-map template, named {@code <outer>.inner}. */
    BpfMap create(String outerName, MapInMap outer) {
        MapDefinition t = outer.innerTemplate();
        String name = outerName.length() > 9 ? outerName.substring(0, 9) : outerName;
        BpfMap m = Maps.create(new MapDefinition(name + ".inner", t.type(), t.keySize(), t.valueSize(), t.maxEntries(),
                t.flags()), cpus, rcu);
        owned.add(m);
        return m;
    }

    /**
     * Puts {@code inner} at {@code key} of {@code outer} (BPF_ANY), or deletes the key when inner
     * is null; returns the map that was there. The map's own checks apply ({@code
     * bpf_map_meta_equal()}: EINVAL for a map unlike the template).
     */
    BpfMap set(String outerName, MapInMap outer, byte[] key, BpfMap inner) {
        try {
            Optional<BpfMap> old = outer.get(key);
            if (inner == null) {
                if (old.isPresent()) {
                    outer.delete(key);
                }
            } else {
                outer.set(key, inner, MapFlags.BPF_ANY);
            }
            return old.orElse(null);
        } catch (MapException e) {
            throw new EngineException("map '" + outerName + "': cannot set its inner map"
                    + (inner == null ? "" : " to '" + inner.name() + "'") + ": " + e.getMessage(), e);
        }
    }

    /**
     * Frees {@code m}, an inner map this engine created, once no run can still hold it; refused while
     * one of {@code maps} (the engine's) still holds it, which would let a later run reach a freed map.
     */
    void retire(BpfMap m, BpfMap[] maps, String[] names) {
        if (!owned.contains(m)) {
            throw new EngineException("map '" + m.name() + "' was not created by this engine's createInnerMap;"
                    + " it is not the engine's to free");
        }
        for (int i = 0; i < maps.length; i++) {
            if (maps[i] instanceof MapInMap outer) {
                for (Optional<byte[]> k = outer.getNextKey(null); k.isPresent(); k = outer.getNextKey(k.get())) {
                    if (outer.get(k.get()).orElse(null) == m) {
                        throw new EngineException("map '" + m.name() + "' is still the inner map of '" + names[i]
                                + "' at key " + java.util.HexFormat.of().formatHex(k.get())
                                + ": replace or delete it there (setInnerMap) before retiring it");
                    }
                }
            }
        }
        retired.add(m);
        pending = true; // after the add: a reclaim that sees the flag also sees the map
        rcu.advance(); // after the flag: the engine thread sees a new epoch, then the flag
    }

    /** Whether maps may wait to be freed (one volatile read; allocation-free). */
    boolean pending() {
        return pending;
    }

    /** Engine thread, between runs: frees every map retired before this call. */
    void reclaim() {
        pending = false; // before draining: a map queued from now on sets it again
        rcu.offline(worker); // this thread holds no map reference between runs
        try {
            for (BpfMap m = retired.poll(); m != null; m = retired.poll()) {
                owned.remove(m);
                m.close();
            }
        } finally {
            rcu.online(worker);
        }
    }

    /** At the engine's close, after its worker is unregistered: frees every inner map it created. */
    void close() {
        retired.clear();
        for (BpfMap m : owned) {
            m.close();
        }
        owned.clear();
    }
}
