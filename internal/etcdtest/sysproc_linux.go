package etcdtest

import "syscall"

// sysProcAttr has the kernel kill etcd when the test binary dies without
// running its cleanups (a panic, go test -timeout, SIGKILL, Ctrl-C), so no
// orphaned etcd keeps its ports and temp dir. With that in place etcd can
// have its own process group: terminal signals reach only the test binary,
// and members end when it says or when it dies, not halfway through a
// cleanup. The kernel sends the signal when the OS thread that started etcd
// exits, which Go does only when a goroutine that locked its thread
// returns; nothing in muster's tests does that.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
