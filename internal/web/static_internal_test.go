package web

import (
	"testing"
)

// TestAppsShareTheStaticFiles checks that the embedded CSS and script are
// hashed once per process: every App serves the same staticFiles, as
// every App shares the parsed templates (the tests start hundreds).
func TestAppsShareTheStaticFiles(t *testing.T) {
	t.Parallel()
	first, err := New(nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := New(nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if first.static != second.static {
		t.Error("each App hashed the embedded assets again: want one staticFiles per process")
	}
	if first.static.version["app.css"] == "" {
		t.Errorf("versions %v: want app.css's", first.static.version)
	}
}
