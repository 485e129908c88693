//go:build linux && !netpoll_portable

package netpoll

const perConnGoroutines = false
