package io.jxdp.ebpf.map;

import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.Mmap;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Where a map's memory comes from: anonymous mmap (ordinary maps), or a file in a pin directory
 * (pinned maps, whose contents survive a restart). A map asks for regions in a fixed order;
 * {@code persistent} regions hold contents (array values, hash elements), the others transient
 * bookkeeping that is rebuilt on reopen (hash buckets, free lists), which stays anonymous.
 *
 * <pre>
 * pinned map file (little-endian), regions page-aligned after the header page, sparse until written:
 *   +0  magic "JXDPMAP1"     +8  version u32 (1)     +12 map type u32
 *   +16 key_size u32         +20 value_size u32      +24 max_entries u32   +28 map_flags u32
 *   +32 nCpus u32 (per-CPU layouts depend on it)     +36 hash seed u32
 *   +40 name, 16 bytes NUL-padded
 *   +64 region count u32     +72 region sizes u64 x 8
 *   +4096 regions
 * </pre>
 *
 * The file is locked ({@code flock}-style, {@link FileChannel#tryLock}) while open: one jxdp process
 * owns a pinned map at a time, a second opener gets EBUSY.
 */
abstract class Backing {
    /** Memory for a region of {@code bytes}; zeroed when new. */
    abstract MemorySegment region(MapDefinition d, long bytes, boolean persistent);

    abstract void release(MemorySegment region);

    /** Releases what the map as a whole holds (file mapping, lock); after every region is released. */
    void close() {}

    /** Whether the persistent regions came from an existing file (their contents are a previous run's). */
    boolean reopened() {
        return false;
    }

    /** The hash seed: the stored one of a reopened map, else {@code fresh} (stored for the next run). */
    int seed(int fresh) {
        return fresh;
    }

    static final Backing ANONYMOUS = new Backing() {
        @Override
        MemorySegment region(MapDefinition d, long bytes, boolean persistent) {
            return Maps.mmap(d, bytes);
        }

        @Override
        void release(MemorySegment region) {
            Mmap.unmap(region);
        }
    };

    /** A pinned map's file. */
    static final class File extends Backing {
        static final long MAGIC = 0x3150414d5044584aL; // "JXDPMAP1" little-endian
        static final int VERSION = 1;
        static final long HEADER = 4096;
        static final int MAX_REGIONS = 8;

        private final Path path;
        private final FileChannel channel;
        private final FileLock lock;
        private final Arena arena = Arena.ofShared();
        private final MemorySegment header;
        private final boolean reopened;
        private int regions;
        private long nextOffset = HEADER;
        private boolean closed;

        File(Path path, MapDefinition d, int nCpus) {
            this.path = path;
            boolean exists = Files.exists(path);
            FileChannel ch = null;
            try {
                ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                FileLock l;
                try {
                    l = ch.tryLock();
                } catch (java.nio.channels.OverlappingFileLockException e) {
                    l = null; // this JVM has it open already
                }
                if (l == null) {
                    throw new MapException(d.name(), Errno.EBUSY, "pinned map file " + path + " is in use by another process");
                }
                this.channel = ch;
                this.lock = l;
                this.reopened = exists && ch.size() >= HEADER;
                if (!reopened) {
                    ch.truncate(0);
                }
                this.header = ch.map(FileChannel.MapMode.READ_WRITE, 0, HEADER, arena);
                if (reopened) {
                    check(d, nCpus);
                } else {
                    write(d, nCpus);
                }
            } catch (IOException e) {
                closeQuietly(ch);
                arena.close();
                throw new MapException(d.name(), Errno.EIO, "cannot open pinned map file " + path + ": " + e.getMessage());
            } catch (RuntimeException e) {
                closeQuietly(ch);
                arena.close();
                throw e;
            }
        }

        private static void closeQuietly(FileChannel ch) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // already failing with the first error
                }
            }
        }

        private void write(MapDefinition d, int nCpus) {
            header.set(ValueLayout.JAVA_LONG, 0, MAGIC);
            header.set(ValueLayout.JAVA_INT, 8, VERSION);
            header.set(ValueLayout.JAVA_INT, 12, d.type().id());
            header.set(ValueLayout.JAVA_INT, 16, d.keySize());
            header.set(ValueLayout.JAVA_INT, 20, d.valueSize());
            header.set(ValueLayout.JAVA_INT, 24, d.maxEntries());
            header.set(ValueLayout.JAVA_INT, 28, d.flags());
            header.set(ValueLayout.JAVA_INT, 32, nCpus);
            byte[] name = d.name().getBytes(StandardCharsets.UTF_8);
            MemorySegment.copy(name, 0, header, ValueLayout.JAVA_BYTE, 40, Math.min(16, name.length));
        }

        // libbpf's map_is_reuse_compat(): a pinned map is reused only if it is the map asked for.
        private void check(MapDefinition d, int nCpus) {
            if (header.get(ValueLayout.JAVA_LONG, 0) != MAGIC || header.get(ValueLayout.JAVA_INT, 8) != VERSION) {
                throw new MapException(d.name(), Errno.EINVAL, "pinned map file " + path + " is not a jxdp map file (version "
                        + VERSION + ")");
            }
            StringBuilder diff = new StringBuilder();
            int type = header.get(ValueLayout.JAVA_INT, 12);
            if (type != d.type().id()) {
                diff.append(" type ").append(type).append(" != ").append(d.type().id());
            }
            mismatch(diff, "key_size", header.get(ValueLayout.JAVA_INT, 16), d.keySize());
            mismatch(diff, "value_size", header.get(ValueLayout.JAVA_INT, 20), d.valueSize());
            mismatch(diff, "max_entries", header.get(ValueLayout.JAVA_INT, 24), d.maxEntries());
            mismatch(diff, "map_flags", header.get(ValueLayout.JAVA_INT, 28), d.flags());
            mismatch(diff, "nCpus", header.get(ValueLayout.JAVA_INT, 32), nCpus);
            if (!diff.isEmpty()) {
                throw new MapException(d.name(), Errno.EINVAL, "pinned map file " + path + " holds a different map:"
                        + diff + " (file != definition); remove the file to start afresh");
            }
        }

        private static void mismatch(StringBuilder diff, String what, int stored, int wanted) {
            if (stored != wanted) {
                diff.append(' ').append(what).append(' ').append(Integer.toUnsignedString(stored)).append(" != ")
                        .append(Integer.toUnsignedString(wanted));
            }
        }

        @Override
        MemorySegment region(MapDefinition d, long bytes, boolean persistent) {
            if (!persistent) {
                return Maps.mmap(d, bytes);
            }
            long size = (bytes + 4095) & ~4095L;
            if (regions == MAX_REGIONS) {
                throw new MapException(d.name(), Errno.EINVAL, "too many persistent regions");
            }
            long slot = 72 + 8L * regions;
            if (reopened) {
                long stored = header.get(ValueLayout.JAVA_LONG, slot);
                if (regions >= header.get(ValueLayout.JAVA_INT, 64) || stored != size) {
                    throw new MapException(d.name(), Errno.EINVAL, "pinned map file " + path + " has region " + regions
                            + " of " + stored + " bytes where " + size + " are needed");
                }
            } else {
                header.set(ValueLayout.JAVA_LONG, slot, size);
                header.set(ValueLayout.JAVA_INT, 64, regions + 1);
            }
            regions++;
            try {
                if (channel.size() < nextOffset + size) {
                    // sparse: extending the file allocates nothing until pages are written
                    channel.write(java.nio.ByteBuffer.wrap(new byte[1]), nextOffset + size - 1);
                }
                MemorySegment s = channel.map(FileChannel.MapMode.READ_WRITE, nextOffset, size, arena);
                nextOffset += size;
                return s;
            } catch (IOException e) {
                throw new MapException(d.name(), Errno.ENOMEM, "cannot map " + size + " bytes of " + path + ": " + e.getMessage());
            }
        }

        @Override
        void release(MemorySegment region) {
            if (!region.isMapped()) {
                Mmap.unmap(region); // a transient, anonymous region
            }
        }

        @Override
        boolean reopened() {
            return reopened;
        }

        @Override
        int seed(int fresh) {
            if (reopened) {
                return header.get(ValueLayout.JAVA_INT, 36);
            }
            header.set(ValueLayout.JAVA_INT, 36, fresh);
            return fresh;
        }

        @Override
        synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                header.force();
                arena.close();
                lock.release();
                channel.close();
            } catch (IOException e) {
                throw new MapException(path.getFileName().toString(), Errno.EIO, "closing pinned map file " + path + ": "
                        + e.getMessage());
            }
        }
    }
}
