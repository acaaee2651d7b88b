//go:build !linux

package proxy

import (
	"context"
	"net"
)

// watchClient is a no-op where the socket cannot be peeked at; requests
// whose client left are then dropped by their deadline only.
func watchClient(net.Conn, context.CancelFunc) (stop func()) { return func() {} }
