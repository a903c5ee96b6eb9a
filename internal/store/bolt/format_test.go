package bolt_test

import (
	"bytes"
	"os"
	"testing"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/store/storetest"
)

// readFile returns the bytes of the file at path.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRegionOfNewerFormat: a region file whose marker names a format this
// famid does not know (a newer famid wrote it; "2", or anything it cannot
// read) is not served: the region answers DATA_FORMAT_UNKNOWN naming the
// file, the format found and what to do, is listed by Damaged, and the
// other region is served. The file is left byte for byte as it was, never
// taken for an old one and rewritten.
func TestRegionOfNewerFormat(t *testing.T) {
	for _, found := range []string{"2", "x", "01", ""} {
		t.Run(found, func(t *testing.T) {
			dir := t.TempDir()
			seed(t, dir, 3)
			file := bolt.RegionFile(dir, "lombardia")
			bolttest.SetFormat(t, file, []byte(found))
			before := readFile(t, file)

			s := bolttest.Open(t, dir, twoRegions)
			err := s.View(t.Context(), "lombardia", func(store.ReadTx) error { return nil })
			storetest.WantFormatUnknown(t, "a read of the region", err, file, found)
			if e := errs.As(err); e.Metadata["region"] != "lombardia" {
				t.Errorf("metadata %v does not name the region", e.Metadata)
			}
			if err := errs.As(s.Damaged()["lombardia"]); err == nil || err.Reason != errs.DataFormatUnknown {
				t.Errorf("Damaged()[lombardia] = %v, want DATA_FORMAT_UNKNOWN", err)
			}
			if err := s.View(t.Context(), "veneto", func(store.ReadTx) error { return nil }); err != nil {
				t.Errorf("the other region: %v", err)
			}
			s.Close()
			if after := readFile(t, file); !bytes.Equal(after, before) {
				t.Errorf("the open changed the file of a newer format (%d bytes, were %d)", len(after), len(before))
			}
		})
	}
}

// TestSystemFileOfNewerFormat: a system file of a format this famid does
// not know stops the start with DATA_FORMAT_UNKNOWN naming it, and is
// left byte for byte as it was; so is one whose values are not framed as
// this famid frames them (a newer frame): they are never framed again.
func TestSystemFileOfNewerFormat(t *testing.T) {
	dir := t.TempDir()
	writeRaw(t, bolt.SystemFile(dir), oldSystem) // values this famid would frame, were it old
	bolttest.SetFormat(t, bolt.SystemFile(dir), []byte("2"))
	before := readFile(t, bolt.SystemFile(dir))

	s, err := bolt.Open(dir, twoRegions)
	if err == nil {
		s.Close()
	}
	storetest.WantFormatUnknown(t, "the open", err, bolt.SystemFile(dir), "2")
	if after := readFile(t, bolt.SystemFile(dir)); !bytes.Equal(after, before) {
		t.Errorf("the refused open changed the system file")
	}
}

// TestFilesGetTheirFormat: a new data dir's files are marked with this
// famid's format; files written before the marker existed (a system file
// framed by the famid before it, a region file) are read as they were and
// get the marker at their first open, and the system file's values are
// not framed again and it still says so to the famid before the marker.
func TestFilesGetTheirFormat(t *testing.T) {
	dir := t.TempDir()
	seed(t, dir, 3)
	want := store.FormatMarker()
	for _, path := range []string{bolt.SystemFile(dir), bolt.RegionFile(dir, "lombardia"), bolt.RegionFile(dir, "veneto")} {
		if got := bolttest.Format(t, path); !bytes.Equal(got, want) {
			t.Errorf("new file %s: format %q, want %q", path, got, want)
		}
	}

	// As the famid before the marker left them.
	s := bolttest.Open(t, dir, twoRegions)
	if err := s.SystemUpdate(t.Context(), func(tx store.SystemTx) error { return tx.Put("accounts", "a", []byte{0xFF, 1, 2}) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, path := range []string{bolt.SystemFile(dir), bolt.RegionFile(dir, "lombardia")} {
		bolttest.SetFormat(t, path, nil)
	}
	framed := readRaw(t, bolt.SystemFile(dir))

	s = bolttest.Open(t, dir, twoRegions)
	err := s.SystemView(t.Context(), func(tx store.SystemTx) error {
		storetest.WantSystemValues(t, "a system file from before the marker", tx, "accounts", map[string][]byte{"a": {0xFF, 1, 2}})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(t.Context(), "lombardia", func(tx store.ReadTx) error {
		return tx.Changes(0, func(*famiv1.Change) bool { return true })
	})
	if err != nil {
		t.Errorf("a region file from before the marker: %v", err)
	}
	s.Close()
	for _, path := range []string{bolt.SystemFile(dir), bolt.RegionFile(dir, "lombardia")} {
		if got := bolttest.Format(t, path); !bytes.Equal(got, want) {
			t.Errorf("%s from before the marker, opened: format %q, want %q", path, got, want)
		}
	}
	after := readRaw(t, bolt.SystemFile(dir))
	if !bytes.Equal(after["accounts"]["a"], framed["accounts"]["a"]) {
		t.Errorf("the system value was changed by the marking: %x, was %x", after["accounts"]["a"], framed["accounts"]["a"])
	}
	// The famid before the marker reads only this key: anything else and
	// it would frame every value again.
	if got := after["\x00meta"]["format"]; string(got) != "framed-crc32c" {
		t.Errorf("system.db's format for the famid before the marker: %q, want framed-crc32c", got)
	}
}

// TestBackupOfNewerFormat: a backup written by a newer famid is refused by
// the checks of a restore (CheckFile) and of a copy (ReadRegionFile) with
// DATA_FORMAT_UNKNOWN naming it, before any record is read, and is left as
// it was. A region file written from records (WriteRegionFile, the etcd
// store's backups) is in this famid's format.
func TestBackupOfNewerFormat(t *testing.T) {
	dir := t.TempDir()
	seed(t, dir, 3)
	backup := backupOf(t, dir)
	bolttest.SetFormat(t, backup, []byte("2"))
	before := readFile(t, backup)

	_, err := bolt.CheckFile(backup, "lombardia")
	storetest.WantFormatUnknown(t, "CheckFile", err, backup, "2")
	read := 0
	_, err = bolt.ReadRegionFile(backup, func(store.Record) error { read++; return nil })
	storetest.WantFormatUnknown(t, "ReadRegionFile", err, backup, "2")
	if read != 0 {
		t.Errorf("ReadRegionFile passed on %d records of a newer format", read)
	}
	if after := readFile(t, backup); !bytes.Equal(after, before) {
		t.Errorf("the checks changed the backup")
	}

	copied := t.TempDir() + "/lombardia.db"
	err = bolt.WriteRegionFile(copied, func(put func(store.Record) error) error {
		_, err := bolt.ReadRegionFile(bolt.RegionFile(dir, "lombardia"), put)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := bolttest.Format(t, copied); !bytes.Equal(got, store.FormatMarker()) {
		t.Errorf("a region file written from records: format %q, want %q", got, store.FormatMarker())
	}
}
