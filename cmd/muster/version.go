package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/muster-bot/muster/store"
	"github.com/muster-bot/muster/store/etcd"
)

// versionText is what `muster version` prints: muster's version, the Go
// release and platform it was built with, and the store layouts it reads,
// which is what decides whether an older binary can open the data again.
//
// The version is the main module's, as the go command stamps it: a tag
// such as v1.2.0 for `go install …@v1.2.0`, a pseudo-version for a build
// from a checkout with version control stamping, and "(devel)" otherwise,
// which is told apart by the commit when the build recorded one.
func versionText(info *debug.BuildInfo, ok bool) string {
	version, goVersion := "devel", runtime.Version()
	if ok {
		goVersion = info.GoVersion
		if v := info.Main.Version; v != "" && v != "(devel)" {
			version = v
		} else if commit := buildSetting(info, "vcs.revision"); commit != "" {
			version = "devel, commit " + commit[:min(len(commit), 12)]
			if buildSetting(info, "vcs.modified") == "true" {
				version += " with local changes"
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "muster %s\n", version)
	fmt.Fprintf(&b, "built with %s for %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "store schema %d (bbolt), %d (etcd)\n", store.SchemaVersion, etcd.SchemaVersion)
	return b.String()
}

// buildSetting returns the value of one of the build's settings, or "".
func buildSetting(info *debug.BuildInfo, key string) string {
	for _, s := range info.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}
