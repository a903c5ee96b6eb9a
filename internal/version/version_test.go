package version_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/raccordo/raccordo/internal/version"
)

func TestString(t *testing.T) {
	i := version.Info{Version: "v1.2.0", Commit: "3d4500a1c2e4f00d", Time: "2026-11-29T19:51:50Z", Modified: true, Go: "go1.26.7"}
	want := "v1.2.0 (commit 3d4500a1c2e4+modified, 2026-11-29T19:51:50Z) go1.26.7 " + runtime.GOOS + "/" + runtime.GOARCH
	if got := i.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := (version.Info{Version: "(devel)", Go: "go1.26.7"}).String(); !strings.HasPrefix(got, "(devel) go1.26.7 ") {
		t.Errorf("without VCS: got %q", got)
	}
}

func TestReadHasTheGoVersion(t *testing.T) {
	if got := version.Read(); got.Go != runtime.Version() || got.Version == "" {
		t.Errorf("Read() = %+v, want Go %s and a version", got, runtime.Version())
	}
}
