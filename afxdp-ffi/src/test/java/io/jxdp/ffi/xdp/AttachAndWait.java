package io.jxdp.ffi.xdp;

import io.jxdp.ffi.net.NetNs;

/**
 * Child-process main for {@link XdpCrashTest}: attaches the redirect program to an interface in
 * a namespace, says so on stdout, and waits (at most 60 s) to be killed.
 */
public final class AttachAndWait {
    private AttachAndWait() {}

    public static void main(String[] args) throws Exception {
        try (NetNs.Scope ignored = NetNs.enter(args[0])) {
            XskRedirect r = XskRedirect.attach(args[1], 1, XskRedirect.AttachMode.AUTO);
            System.out.println("attached link fd " + r.linkFd());
            System.out.flush();
        }
        Thread.sleep(60_000);
    }
}
