// Package version reports what a binary was built from, as the Go
// toolchain recorded it (runtime/debug.ReadBuildInfo): the module version,
// the VCS commit and the Go version. Nothing is injected with -ldflags, so
// `go build`, `go install` and `go run` all tell the truth.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Info describes a build.
type Info struct {
	// Version is the main module's version: a tag, a pseudo-version, or
	// "(devel)" for a build without VCS information.
	Version string
	// Commit is the VCS revision; Modified reports uncommitted changes.
	Commit   string
	Time     string
	Modified bool
	// Go is the toolchain's version, e.g. go1.26.7.
	Go string
}

// Read returns the running binary's build information.
func Read() Info {
	info := Info{Version: "(devel)", Go: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	if v := bi.Main.Version; v != "" {
		info.Version = v
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// String renders the information on one line:
// "v1.2.0 (commit 3d4500a1c2e4, 2026-11-29T19:51:50Z) go1.26.7 linux/amd64".
func (i Info) String() string {
	s := i.Version
	if i.Commit != "" {
		c := i.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		if i.Modified {
			c += "+modified"
		}
		s += " (commit " + c
		if i.Time != "" {
			s += ", " + i.Time
		}
		s += ")"
	}
	return fmt.Sprintf("%s %s %s/%s", s, i.Go, runtime.GOOS, runtime.GOARCH)
}
