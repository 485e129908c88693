//go:build unix && (!linux || netpoll_portable)

package netpoll

import "syscall"

// readable peeks at the socket without consuming: data, end of stream or an
// error all count as readable.
func readable(fd uintptr) bool {
	var b [1]byte
	_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return err != syscall.EAGAIN && err != syscall.EWOULDBLOCK
}
