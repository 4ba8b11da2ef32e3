package io.jxdp.ebpf.xdp;

import io.jxdp.ffi.sys.Errno;

/**
 * bpf_trace_printk() formatting as the kernel does it (bpf_bprintf_prepare() in
 * kernel/bpf/helpers.c, then bstr_printf() into a MAX_BPRINTF_BUF buffer): the format must be
 * NUL-terminated within fmt_size and consist of printable ASCII or whitespace; at most 3
 * conversions; each is {@code %[0 +-]*[1-9][0-9]*} then one of {@code d i u x X}, optionally
 * after {@code l} or {@code ll}, or {@code p}, {@code s}, {@code c}, or {@code %%}. Anything else
 * is -EINVAL and nothing is printed. Differences: {@code %p} prints the raw value (the kernel
 * prints a hashed one), and the {@code %p} extensions ({@code %pI4}, {@code %pks}, ...) are refused.
 */
final class TracePrintk {
    /** MAX_BPRINTF_BUF, include/linux/bpf.h. */
    static final int MAX_BPRINTF_BUF = 1024;
    private static final int MAX_ARGS = 3;

    private TracePrintk() {
    }

    /** Formats into out; returns the length bstr_printf would produce (may exceed out) or -EINVAL. */
    static int format(XdpContext c, long fmt, int fmtSize, long a1, long a2, long a3, Out out) {
        long[] args = out.args;
        args[0] = a1;
        args[1] = a2;
        args[2] = a3;
        return format(c, fmt, fmtSize, args, MAX_ARGS, out);
    }

    /**
     * Formats with {@code nargs} arguments from {@code args} (bpf_snprintf: up to
     * MAX_BPRINTF_VARARGS, 12); the same rules, a conversion beyond {@code nargs} is -EINVAL.
     */
    static int format(XdpContext c, long fmt, int fmtSize, long[] args, int nargs, Out out) {
        int len = -1;
        for (int i = 0; i < fmtSize; i++) {
            if (XdpContext.MEM.get(java.lang.foreign.ValueLayout.JAVA_BYTE, fmt + i) == 0) {
                len = i;
                break;
            }
        }
        if (len < 0) {
            return -Errno.EINVAL;
        }
        // First pass validates (nothing is printed on -EINVAL), second pass prints.
        int v = run(c, fmt, len, args, nargs, null);
        if (v < 0) {
            return v;
        }
        return run(c, fmt, len, args, nargs, out);
    }

    private static int ch(long fmt, int len, int i) {
        return i < len ? XdpContext.MEM.get(java.lang.foreign.ValueLayout.JAVA_BYTE, fmt + i) & 0xff : 0;
    }

    private static boolean printable(int b) {
        return b >= 0x20 && b <= 0x7e || b == ' ' || b >= 9 && b <= 13;
    }

    private static boolean punct(int b) {
        return b > 0x20 && b < 0x7f && !Character.isLetterOrDigit(b);
    }

    private static int run(XdpContext c, long fmt, int len, long[] args, int nargs, Out o) {
        if (o != null) {
            o.count = 0;
        }
        int spec = 0;
        for (int i = 0; i < len; i++) {
            int b = ch(fmt, len, i);
            if (!printable(b)) {
                return -Errno.EINVAL;
            }
            if (b != '%') {
                if (o != null) {
                    o.put(b);
                }
                continue;
            }
            if (ch(fmt, len, i + 1) == '%') {
                if (o != null) {
                    o.put('%');
                }
                i++;
                continue;
            }
            if (spec >= nargs) {
                return -Errno.EINVAL;
            }
            long arg = args[spec];
            spec++;
            i++;
            boolean zero = false;
            boolean left = false;
            boolean plus = false;
            boolean space = false;
            for (int f = ch(fmt, len, i); f == '0' || f == '+' || f == '-' || f == ' '; f = ch(fmt, len, ++i)) {
                zero |= f == '0';
                left |= f == '-';
                plus |= f == '+';
                space |= f == ' ';
            }
            int width = 0;
            if (ch(fmt, len, i) >= '1' && ch(fmt, len, i) <= '9') {
                while (ch(fmt, len, i) >= '0' && ch(fmt, len, i) <= '9') {
                    width = Math.min(width * 10 + ch(fmt, len, i) - '0', 4096);
                    i++;
                }
            }
            int conv = ch(fmt, len, i);
            if (conv == 'p') {
                int next = ch(fmt, len, i + 1);
                if (next != 0 && next != ' ' && !(next >= 9 && next <= 13) && !punct(next)) {
                    return -Errno.EINVAL; // %pI4, %pks, %pB...: not supported
                }
                if (o != null) {
                    o.number(arg, 16, false, false, width == 0 ? 16 : width, true, left, false, false, false);
                }
                continue;
            }
            if (conv == 's') {
                if (o != null) {
                    o.string(c, arg, width, left);
                }
                continue;
            }
            if (conv == 'c') {
                if (o != null) {
                    o.pad(width - 1, left, false);
                    o.put((int) arg & 0xff);
                    o.pad(width - 1, left, true);
                }
                continue;
            }
            int size = 4;
            if (conv == 'l') {
                size = 8;
                conv = ch(fmt, len, ++i);
                if (conv == 'l') {
                    conv = ch(fmt, len, ++i);
                }
            }
            if (conv != 'i' && conv != 'd' && conv != 'u' && conv != 'x' && conv != 'X') {
                return -Errno.EINVAL;
            }
            if (o != null) {
                boolean signed = conv == 'i' || conv == 'd';
                long value = size == 4 ? (signed ? (int) arg : arg & 0xffff_ffffL) : arg;
                int base = conv == 'x' || conv == 'X' ? 16 : 10;
                o.number(value, base, signed, conv == 'X', width, zero, left, plus && signed, space && signed, size == 4);
            }
        }
        return o == null ? 0 : o.count;
    }

    /** Writes into a fixed buffer, counting what would have been written past its end (vsnprintf). */
    static final class Out {
        final byte[] buf;
        /** Argument scratch (MAX_BPRINTF_VARARGS), so a call allocates nothing. */
        final long[] args = new long[12];
        int count;
        final byte[] digits = new byte[24];

        Out() {
            this(new byte[MAX_BPRINTF_BUF]);
        }

        Out(byte[] buf) {
            this.buf = buf;
        }

        void put(int b) {
            if (count < buf.length - 1) {
                buf[count] = (byte) b;
            }
            count++;
        }

        void pad(int n, boolean left, boolean after) {
            if (left == after) {
                for (int k = 0; k < n; k++) {
                    put(' ');
                }
            }
        }

        void string(XdpContext c, long address, int width, boolean left) {
            int n = 0;
            if (address != 0) {
                while (n < MAX_BPRINTF_BUF && c.readable(address + n)
                        && XdpContext.MEM.get(java.lang.foreign.ValueLayout.JAVA_BYTE, address + n) != 0) {
                    n++;
                }
                if (n > 0 && !c.readable(address + n)) {
                    n = 0; // bpf_trace_copy_string() failed: the kernel prints an empty string
                }
            }
            pad(width - n, left, false);
            for (int k = 0; k < n; k++) {
                put(XdpContext.MEM.get(java.lang.foreign.ValueLayout.JAVA_BYTE, address + k));
            }
            pad(width - n, left, true);
        }

        void number(long value, int base, boolean signed, boolean upper, int width, boolean zero, boolean left,
                boolean plus, boolean space, boolean narrow) {
            boolean negative = signed && value < 0;
            long mag = negative ? -value : value;
            int nd = 0;
            if (mag == 0) {
                digits[nd++] = '0';
            }
            while (mag != 0) {
                int dgt = (int) Long.remainderUnsigned(mag, base);
                digits[nd++] = (byte) (dgt < 10 ? '0' + dgt : (upper ? 'A' : 'a') + dgt - 10);
                mag = Long.divideUnsigned(mag, base);
            }
            int sign = negative ? '-' : plus ? '+' : space ? ' ' : 0;
            int total = nd + (sign != 0 ? 1 : 0);
            if (!left && !zero) {
                pad(width - total, false, false);
            }
            if (sign != 0) {
                put(sign);
            }
            if (!left && zero) {
                for (int k = total; k < width; k++) {
                    put('0');
                }
            }
            for (int k = nd - 1; k >= 0; k--) {
                put(digits[k]);
            }
            if (left) {
                pad(width - total, true, true);
            }
        }
    }
}
