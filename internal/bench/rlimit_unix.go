//go:build unix

package bench

import (
	"fmt"
	"syscall"
)

// raiseFileLimit raises the soft open-file limit to the hard one (Go does
// this at start-up on Linux too; being explicit costs nothing) and returns
// the soft limit in force.
func raiseFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("bench: open-file limit: %w", err)
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, fmt.Errorf("bench: raise open-file limit: %w", err)
		}
	}
	return uint64(lim.Cur), nil
}
