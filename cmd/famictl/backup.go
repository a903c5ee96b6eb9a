package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/schollz/progressbar/v3"
	"go.etcd.io/bbolt"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/store/bolt"
)

// backup downloads a consistent copy of a region's file from a running
// server (AdminService.BackupRegion), checking its SHA-256.
func backup(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("famictl backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cf := addClientFlags(fs)
	region := fs.String("region", "", "region id, e.g. lombardia")
	out := fs.String("out", "", "file to write (default <region>-<revision>.db)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *region == "" {
		return errors.New("--region is required")
	}
	client := famiv1connect.NewAdminServiceClient(cf.httpClient(), *cf.server, cf.options()...)
	stream, err := client.BackupRegion(context.Background(), &famiv1.BackupRegionRequest{Name: "regions/" + *region})
	if err != nil {
		return err
	}
	defer stream.Close()

	tmp, err := os.CreateTemp(filepath.Dir(absOr(*out, ".")), ".famictl-backup-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	hash := sha256.New()
	var (
		bar      *progressbar.ProgressBar
		revision int64
		size     int64
		want     string
		written  int64
	)
	for stream.Receive() {
		m := stream.Msg()
		if bar == nil {
			revision, size = m.GetRevision(), m.GetSize()
			bar = progressbar.NewOptions64(size, progressbar.OptionSetWriter(progressWriter(stderr, *quiet)),
				progressbar.OptionSetDescription("backup "+*region), progressbar.OptionShowBytes(true), progressbar.OptionClearOnFinish())
		}
		if _, err := tmp.Write(m.GetData()); err != nil {
			return err
		}
		hash.Write(m.GetData())
		written += int64(len(m.GetData()))
		bar.Add(len(m.GetData()))
		if m.GetSha256() != "" {
			want = m.GetSha256()
		}
	}
	if err := stream.Err(); err != nil {
		return err
	}
	if got := hex.EncodeToString(hash.Sum(nil)); want == "" || got != want || written != size {
		return fmt.Errorf("backup is incomplete or corrupt: %d of %d bytes, sha256 %s, want %s", written, size, got, want)
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if *out == "" {
		*out = fmt.Sprintf("%s-%d.db", *region, revision)
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: region %s at revision %d, %d bytes, sha256 %s\n", *out, *region, revision, size, want)
	return nil
}

// restore installs a backup as a region's file in a data dir. famid must
// be stopped: the region file's lock says whether it is.
func restore(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("famictl restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", "data", "the server's data dir")
	region := fs.String("region", "", "region id, e.g. lombardia")
	from := fs.String("from", "", "backup file made by famictl backup")
	bump := fs.Int64("bump-revision", 1_000_000, "how far above the highest revision known (the backup's, or the replaced file's when readable) the region continues: more than the writes made since the backup")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *region == "" || *from == "" {
		return errors.New("--region and --from are required")
	}
	revision, err := checkFile(*from)
	if err != nil {
		return fmt.Errorf("%s is not a usable backup: %w", *from, err)
	}
	target := filepath.Join(*dataDir, "regions", *region+".db")
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return err
	}
	// Holding the target's lock proves no famid serves this region while
	// the file is replaced. A damaged target (what a restore is for) may
	// not open at all: only a lock held elsewhere stops the restore.
	issued := revision // the highest revision known to have been issued
	if _, err := os.Stat(target); err == nil {
		db, err := lockTarget(target)
		if errors.Is(err, bbolt.ErrTimeout) {
			return fmt.Errorf("%s is in use (stop famid first): %w", target, err)
		}
		if db != nil {
			defer db.Close()
			issued = max(issued, fileRevision(db))
		}
	}
	if *bump < 1 {
		return errors.New("--bump-revision must be at least 1")
	}
	tmp := target + ".restore"
	if err := copyFile(*from, tmp); err != nil {
		return err
	}
	next := issued + *bump
	if err := bolt.BumpRevision(tmp, next); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("continue the revisions of %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, target); err != nil {
		os.Remove(tmp)
		return err
	}
	fmt.Fprintf(stdout, "restored region %s at revision %d into %s\n", *region, revision, target)
	fmt.Fprintf(stdout, "its revisions continue from %d, and older positions are compacted: regional systems list again\n", next)
	return nil
}

// lockTarget opens a region file to hold its lock. A damaged file may fail
// to open, or fault when bbolt reads a page past its end: both are
// returned as errors (a fault as a panic recovered), never a crash.
func lockTarget(path string) (db *bbolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("%s cannot be read: %v", path, r)
		}
	}()
	return bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
}

// fileRevision reads a region file's revision (0 when it has none).
func fileRevision(db *bbolt.DB) (rev int64) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if recover() != nil {
			rev = 0 // a damaged file: the backup's revision is all we know
		}
	}()
	db.View(func(tx *bbolt.Tx) error {
		if meta := tx.Bucket([]byte("meta")); meta != nil {
			if v := meta.Get([]byte("revision")); len(v) == 8 {
				rev = int64(binary.BigEndian.Uint64(v))
			}
		}
		return nil
	})
	return rev
}

// checkFile runs bbolt's consistency check on a backup and returns the
// region revision it holds.
func checkFile(path string) (int64, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var revision int64
	err = db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		meta := tx.Bucket([]byte("meta"))
		if meta == nil {
			return errors.New("no region data in the file")
		}
		if v := meta.Get([]byte("revision")); len(v) == 8 {
			revision = int64(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return revision, err
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func progressWriter(w io.Writer, quiet bool) io.Writer {
	if quiet {
		return io.Discard
	}
	return w
}

func absOr(path, def string) string {
	if path == "" {
		path = def
	}
	a, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	return a
}
