//go:build !linux

package etcdtest

import "syscall"

// sysProcAttr keeps etcd in the test's process group: without Linux's
// parent-death signal, a Ctrl-C reaching the members too is what ends them
// when the test binary dies before its cleanups.
func sysProcAttr() *syscall.SysProcAttr { return nil }
