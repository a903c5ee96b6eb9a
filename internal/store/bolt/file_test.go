package bolt_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

// backupOf copies lombardia's file of a seeded, closed data dir to a new
// file, as famictl backup writes it.
func backupOf(t *testing.T, dir string) string {
	t.Helper()
	path, _ := bolttest.CopyRegion(t, dir, "lombardia")
	return path
}

// wantFileDamaged checks that err is DATA_LOSS REGION_FILE_DAMAGED naming
// path.
func wantFileDamaged(t *testing.T, err error, path string) {
	t.Helper()
	e := errs.As(err)
	if e == nil || e.Code != errs.DataLoss || e.Reason != "REGION_FILE_DAMAGED" {
		t.Fatalf("got %v, want DATA_LOSS REGION_FILE_DAMAGED", err)
	}
	if !strings.Contains(e.Message, path) || e.Metadata["file"] != path {
		t.Errorf("error %q (metadata %v) does not name %s", e.Message, e.Metadata, path)
	}
}

func TestRegionFile(t *testing.T) {
	dir := t.TempDir()
	seed(t, dir, 1)
	if _, err := os.Stat(bolt.RegionFile(dir, "veneto")); err != nil {
		t.Errorf("the store did not write veneto's file at RegionFile: %v", err)
	}
}

// TestCheckFile: a backup is accepted with the revision it holds; an
// empty, truncated, garbage or never set up file, or another region's, is
// DATA_LOSS naming it,
// never a crash; a missing one is fs.ErrNotExist; one a famid serves is
// ErrLocked.
func TestCheckFile(t *testing.T) {
	dir := t.TempDir()
	seed(t, dir, 200)
	good := backupOf(t, dir)
	rev, err := bolt.CheckFile(good, "lombardia")
	if err != nil || rev != 200 {
		t.Fatalf("CheckFile(backup) = %d, %v, want 200, nil", rev, err)
	}

	// Another region's backup, restored as lombardia's, would serve
	// Veneto's data as Lombardia's.
	if rev, err := bolt.CheckFile(good, "veneto"); rev != 0 || !strings.Contains(fmt.Sprint(err), "another region's data (regions/lombardia/") {
		t.Errorf("CheckFile(lombardia's backup, veneto) = %d, %v, want a refusal naming lombardia's data", rev, err)
	} else {
		wantFileDamaged(t, err, good)
	}

	for name, damage := range map[string]func(path string) error{
		"empty":     func(path string) error { return os.Truncate(path, 0) },
		"truncated": func(path string) error { fi, _ := os.Stat(path); return os.Truncate(path, fi.Size()/2) },
		"garbage":   func(path string) error { return os.WriteFile(path, []byte(strings.Repeat("not bbolt ", 2000)), 0o600) },
		"not set up": func(path string) error {
			os.Remove(path)
			db, err := bbolt.Open(path, 0o600, nil)
			if err != nil {
				return err
			}
			return db.Close()
		},
		"no region data": func(path string) error {
			db, err := bbolt.Open(path, 0o600, nil)
			if err != nil {
				return err
			}
			defer db.Close()
			return db.Update(func(tx *bbolt.Tx) error { return tx.DeleteBucket([]byte(store.TableMeta)) })
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := backupOf(t, dir)
			if err := damage(path); err != nil {
				t.Fatal(err)
			}
			rev, err := bolt.CheckFile(path, "lombardia")
			if rev != 0 {
				t.Errorf("revision %d of a damaged file", rev)
			}
			wantFileDamaged(t, err, path)
		})
	}

	t.Run("missing", func(t *testing.T) {
		if _, err := bolt.CheckFile(filepath.Join(t.TempDir(), "nope.db"), "lombardia"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("got %v, want fs.ErrNotExist", err)
		}
	})
	t.Run("locked", func(t *testing.T) {
		s, err := bolt.Open(dir, twoRegions)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := bolt.CheckFile(bolt.RegionFile(dir, "lombardia"), "lombardia"); !errors.Is(err, bolt.ErrLocked) {
			t.Errorf("a served file: got %v, want ErrLocked", err)
		}
	})
}

// TestLockFile: a file famid serves cannot be locked; an idle one can,
// with its revision, and then no famid can serve it; a missing or damaged
// one gives an empty lock, so a restore can replace it.
func TestLockFile(t *testing.T) {
	dir := t.TempDir()
	seed(t, dir, 3)
	path := bolt.RegionFile(dir, "lombardia")

	s, err := bolt.Open(dir, twoRegions)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bolt.LockFile(path); !errors.Is(err, bolt.ErrLocked) {
		t.Errorf("a served file: got %v, want ErrLocked", err)
	}
	s.Close()

	lock, err := bolt.LockFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if lock.Revision() != 3 {
		t.Errorf("Revision() = %d, want 3", lock.Revision())
	}
	if _, err := bolt.Open(dir, bolt.Options{Regions: []string{"lombardia"}}); !errors.Is(err, bolt.ErrLocked) {
		t.Errorf("Open of a locked region file: got %v, want ErrLocked", err)
	}
	if err := lock.Close(); err != nil {
		t.Fatal(err)
	}

	for name, prepare := range map[string]func(path string) error{
		"missing": os.Remove,
		"garbage": func(path string) error { return os.WriteFile(path, []byte(strings.Repeat("not bbolt ", 2000)), 0o600) },
		"empty":   func(path string) error { return os.Truncate(path, 0) },
	} {
		t.Run(name, func(t *testing.T) {
			path := backupOf(t, dir)
			if err := prepare(path); err != nil {
				t.Fatal(err)
			}
			lock, err := bolt.LockFile(path)
			if err != nil {
				t.Fatalf("LockFile: %v, want an empty lock", err)
			}
			if lock.Revision() != 0 {
				t.Errorf("Revision() = %d, want 0", lock.Revision())
			}
			if err := lock.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestRestoreFile installs a backup over a truncated region file (what
// famid names the restore for), continuing its revisions, or where the
// region's file is missing (a move), keeping them, and the store serves
// it again. Over a damaged file the backup's revisions are not kept (see
// TestRestoreKeepingRevisionsRefusedOverADamagedFile).
func TestRestoreFile(t *testing.T) {
	truncate := func(target string) error {
		fi, err := os.Stat(target)
		if err != nil {
			return err
		}
		return os.Truncate(target, fi.Size()/2)
	}
	for name, tc := range map[string]struct {
		prepare                      func(target string) error
		next, wantRev, wantCompacted int64
	}{
		"continued": {prepare: truncate, next: 1_000_200, wantRev: 1_000_200, wantCompacted: 1_000_200},
		"kept":      {prepare: os.Remove, next: 0, wantRev: 200, wantCompacted: 0},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			seed(t, dir, 200)
			backup := backupOf(t, dir)
			target := bolt.RegionFile(dir, "lombardia")
			if err := tc.prepare(target); err != nil {
				t.Fatal(err)
			}
			restore(t, target, backup, tc.next)
			if _, err := os.Stat(target + ".restore"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the temporary copy stays: %v", err)
			}
			s, err := bolt.Open(dir, twoRegions)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			err = s.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
				if tx.Revision() != tc.wantRev || tx.Compacted() != tc.wantCompacted {
					t.Errorf("revision %d, compacted %d, want %d, %d", tx.Revision(), tx.Compacted(), tc.wantRev, tc.wantCompacted)
				}
				return tx.Get("regions/lombardia/partners/pa", &famiv1.Partner{})
			})
			if err != nil {
				t.Errorf("the restored region is not served: %v", err)
			}
		})
	}

	t.Run("below the file's revision", func(t *testing.T) {
		dir := t.TempDir()
		seed(t, dir, 5)
		target := filepath.Join(t.TempDir(), "regions", "lombardia.db")
		err := tryRestore(t, target, backupOf(t, dir), 2)
		if err == nil || !strings.Contains(err.Error(), "below the file's 5") {
			t.Errorf("got %v, want the revision refused", err)
		}
		if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a refused restore left %s: %v", target, err)
		}
		if _, err := os.Stat(target + ".restore"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a refused restore left its copy: %v", err)
		}
	})
}

// TestRestoreKeepingRevisionsRefusedWhereIssued: a restore that keeps the
// backup's revisions over a region file that had issued revisions past
// them is refused, the file left as it was, as etcd's import is: an empty
// backup (a region never written, at revision 0) or an older one would
// give the region's revisions out again to other writes, unseen by a
// regional system that had seen them. Before, the file was installed.
// A restore that continues above them installs it.
func TestRestoreKeepingRevisionsRefusedWhereIssued(t *testing.T) {
	dir, emptyDir := t.TempDir(), t.TempDir()
	seed(t, emptyDir, 0)
	seed(t, dir, 3)
	backups := map[string]string{"an empty backup": backupOf(t, emptyDir), "a backup at revision 3": backupOf(t, dir)}
	seed(t, dir, 2) // revisions 4 and 5, which the backups do not hold
	target := bolt.RegionFile(dir, "lombardia")
	before, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	for name, backup := range backups {
		err := tryRestore(t, target, backup, 0)
		if err == nil || !strings.Contains(err.Error(), target) || !strings.Contains(err.Error(), "issued revision 5, past the backup's") || !strings.Contains(err.Error(), "--bump-revision") {
			t.Errorf("%s, keeping its revisions: %v, want refused naming the file, its revision 5 and --bump-revision", name, err)
		}
		if after, err := os.ReadFile(target); err != nil || !bytes.Equal(after, before) {
			t.Errorf("the refused restore of %s changed %s (%v)", name, target, err)
		}
		if _, err := os.Stat(target + ".restore"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the refused restore of %s left its copy: %v", name, err)
		}
	}

	restore(t, target, backups["an empty backup"], 1_000_005)
	s, err := bolt.Open(dir, twoRegions)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
		if tx.Revision() != 1_000_005 || tx.Compacted() != 1_000_005 {
			t.Errorf("the restored region: revision %d, compacted %d, want both 1000005", tx.Revision(), tx.Compacted())
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// tryRestore restores backup over the region file target as famictl
// restore does: under the file's lock.
func tryRestore(t *testing.T, target, backup string, next int64) error {
	t.Helper()
	lock, err := bolt.LockFile(target)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	return lock.Restore(backup, next)
}

func restore(t *testing.T, target, backup string, next int64) {
	t.Helper()
	if err := tryRestore(t, target, backup, next); err != nil {
		t.Fatalf("restore: %v", err)
	}
}

// TestRestoreKeepingRevisionsRefusedOverADamagedFile: over a region file
// too damaged to say its revision (truncated, garbage), a restore that
// keeps the backup's revisions is refused, the file left as it was: the
// damaged file may have issued revisions past the backup's (here 5, past
// 3), which the region would give out again, unseen by a regional system
// that had seen them. The unreadable revision was taken for 0, that is
// for none issued, and the backup installed with its own. etcd's import
// refuses the same when only a lower bound of the issued revisions is
// known. (A restore that continues above them installs the backup over a
// damaged file: TestRestoreFile.)
func TestRestoreKeepingRevisionsRefusedOverADamagedFile(t *testing.T) {
	for name, damage := range map[string]func(target string) error{
		"truncated": func(target string) error {
			fi, err := os.Stat(target)
			if err != nil {
				return err
			}
			return os.Truncate(target, fi.Size()/2)
		},
		"garbage": func(target string) error {
			return os.WriteFile(target, []byte(strings.Repeat("not bbolt ", 2000)), 0o600)
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			seed(t, dir, 3)
			backup := backupOf(t, dir)
			seed(t, dir, 2) // revisions 4 and 5, which the backup does not hold
			target := bolt.RegionFile(dir, "lombardia")
			if err := damage(target); err != nil {
				t.Fatal(err)
			}
			before, err := os.ReadFile(target)
			if err != nil {
				t.Fatal(err)
			}
			err = tryRestore(t, target, backup, 0)
			if err == nil || !strings.Contains(err.Error(), "too damaged") || !strings.Contains(err.Error(), "--bump-revision") {
				t.Errorf("keeping the backup's revisions over a %s file: %v, want refused naming --bump-revision", name, err)
			}
			if after, err := os.ReadFile(target); err != nil || !bytes.Equal(after, before) {
				t.Errorf("the refused restore changed %s (%v)", target, err)
			}
		})
	}
}

// TestDamagedFileOpenedTwice: a region file that bbolt fails to open
// (truncated to its two header pages: its free page list is past its end)
// is released, so
// the same process may try it again: famictl restore's lock after its own
// first look, a store opened again. bbolt panicked after it had locked the
// file and returned nothing to close; the recovered panic left the file
// open and locked until the process ended, and the second try answered
// that another process held the data dir.
func TestDamagedFileOpenedTwice(t *testing.T) {
	dir := t.TempDir()
	seed(t, dir, 20)
	target := bolt.RegionFile(dir, "lombardia")
	if err := os.Truncate(target, 2*int64(os.Getpagesize())); err != nil {
		t.Fatal(err)
	}
	for try := range 2 {
		lock, err := bolt.LockFile(target)
		if err != nil {
			t.Fatalf("LockFile, try %d: %v", try+1, err)
		}
		if lock.Exact() {
			t.Errorf("LockFile, try %d: the damaged file's revision %d is taken as exact", try+1, lock.Revision())
		}
		if err := lock.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for try := range 2 {
		s, err := bolt.Open(dir, bolt.Options{Regions: []string{"lombardia"}})
		if errors.Is(err, bolt.ErrLocked) {
			t.Fatalf("Open, try %d: %v", try+1, err)
		}
		if err == nil {
			s.Close()
		}
	}
}
