package atomicfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/raccordo/raccordo/internal/atomicfile"
)

// entries lists dir's file names.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.json")
	for _, content := range []string{"old\n", "new\n"} {
		if err := atomicfile.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil || string(b) != content {
			t.Fatalf("after WriteFile(%q): %q, %v", content, b, err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("the directory holds %v, want only a.json", names)
	}
}

// TestDiscardLeavesTheOldFile: a file discarded half-written leaves its
// name as it was, and nothing beside it.
func TestDiscardLeavesTheOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "backup.db")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := atomicfile.Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("half"); err != nil {
		t.Fatal(err)
	}
	f.Discard()
	f.Discard() // twice is harmless
	if b, err := os.ReadFile(path); err != nil || string(b) != "old" {
		t.Errorf("after Discard: %q, %v; want the old file", b, err)
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("the directory holds %v, want only backup.db", names)
	}
}

// TestCommitFailureRemovesTheFile: a rename that fails (here onto a
// directory) leaves nothing behind, and Discard after it is harmless.
func TestCommitFailureRemovesTheFile(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "taken")
	if err := os.Mkdir(target, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := atomicfile.Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(target); err == nil {
		t.Fatal("Commit onto a non-empty directory succeeded")
	}
	f.Discard()
	if names := entries(t, dir); len(names) != 1 || names[0] != "taken" {
		t.Errorf("the directory holds %v, want only taken", names)
	}
}

func TestCreateInAMissingDirectory(t *testing.T) {
	if _, err := atomicfile.Create(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("Create in a missing directory succeeded")
	}
	if err := atomicfile.WriteFile(filepath.Join(t.TempDir(), "missing", "a"), nil, 0o600); err == nil {
		t.Error("WriteFile in a missing directory succeeded")
	}
}

// TestRemoveAbandoned: a temporary file no process holds (its writer was
// killed) is removed; one being written, and one committed meanwhile,
// stay.
func TestRemoveAbandoned(t *testing.T) {
	dir := t.TempDir()
	abandoned := filepath.Join(dir, ".tmp-killed")
	if err := os.WriteFile(abandoned, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	writing, err := atomicfile.Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer writing.Discard()
	removed, err := atomicfile.RemoveAbandoned(dir)
	if err != nil || len(removed) != 1 || removed[0] != abandoned {
		t.Fatalf("RemoveAbandoned = %v, %v; want only %s", removed, err, abandoned)
	}
	if err := writing.Commit(filepath.Join(dir, "done")); err != nil {
		t.Fatalf("commit of the file being written: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "done")); err != nil || len(b) != 0 {
		t.Errorf("the committed file: %q, %v", b, err)
	}
}
