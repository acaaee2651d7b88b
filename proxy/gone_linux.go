package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"syscall"
	"time"
)

// watchClient cancels a request's context as soon as its client closes the
// connection, so that the batcher drops texts nobody waits for before they
// cost inference. fasthttp gives handlers no such signal, so a goroutine
// waits for the socket to become readable and peeks at it without consuming
// anything: end of stream or a reset means the client left; data means a
// pipelined request, so the client is alive and watching stops. stop ends
// the watch (by a read deadline, which fasthttp resets before its next read)
// and waits for the goroutine.
func watchClient(conn net.Conn, cancel context.CancelFunc) (stop func()) {
	if tc, ok := conn.(*tls.Conn); ok {
		conn = tc.NetConn()
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return func() {}
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var buf [1]byte
		_ = rc.Read(func(fd uintptr) bool {
			n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			switch {
			case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EINTR):
				return false // nothing yet: wait until readable
			case err != nil, n == 0:
				cancel() // reset or end of stream: the client is gone
			}
			return true
		})
	}()
	return func() {
		_ = conn.SetReadDeadline(time.Now())
		<-done
	}
}
