package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/atomicfile"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/etcd"
)

func newBackupCmd(a *app) *cobra.Command {
	var out string
	var quiet bool
	cmd := inRegion(&cobra.Command{
		Use:         "backup",
		Short:       "Download a hot, consistent copy of a region's file (checked with SHA-256)",
		Annotations: writes("a backup file and a line naming it"),
		Long: `Download a consistent copy of a region's bbolt file from a running server
(AdminService.BackupRegion), with a progress bar on standard error; the
SHA-256 the server sends is checked before the file gets its name.`,
		Example: "  famictl backup --region lombardia --out lombardia.db",
	}, func(cmd *cobra.Command, region string) error {
		return backup(cmd.Context(), a.client(), region, out, quiet, a.stdout, a.stderr)
	})
	cmd.Flags().StringVar(&out, "out", "", "file to write (default <region>-<revision>.db)")
	cmd.Flags().BoolVar(&quiet, "quiet", false, "no progress bar")
	return cmd
}

// backup downloads a consistent copy of a region's file from a running
// server (AdminService.BackupRegion), checking its SHA-256.
func backup(ctx context.Context, cf clientFlags, region, out string, quiet bool, stdout, stderr io.Writer) error {
	stream, err := cf.sdk().Admin.BackupRegion(ctx, &famiv1.BackupRegionRequest{Name: "regions/" + region})
	if err != nil {
		return err
	}
	defer stream.Close()

	dir := filepath.Dir(out) // the default name is in "."
	// A backup killed before its end (SIGKILL, a second Ctrl-C, a power
	// cut) left its partial copy: a whole region's data, under a hidden name.
	removed, err := atomicfile.RemoveAbandoned(dir)
	if err != nil {
		return err
	}
	for _, p := range removed {
		fmt.Fprintf(stderr, "removed %s, the partial copy of a backup that was stopped before its end\n", p)
	}
	tmp, err := atomicfile.Create(dir)
	if err != nil {
		return err
	}
	defer tmp.Discard()
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
			bar = progressbar.NewOptions64(size, progressbar.OptionSetWriter(progressWriter(stderr, quiet)),
				progressbar.OptionSetDescription("backup "+region), progressbar.OptionShowBytes(true), progressbar.OptionClearOnFinish())
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
	if out == "" {
		out = fmt.Sprintf("%s-%d.db", region, revision)
	}
	if err := tmp.Commit(out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: region %s at revision %d, %d bytes, sha256 %s\n", out, region, revision, size, want)
	return nil
}

func newRestoreCmd(a *app) *cobra.Command {
	var o restoreOptions
	cmd := inRegion(&cobra.Command{
		Use:         "restore",
		Short:       "Install a backup as a region's file (famid stopped), or import it into an etcd region",
		Annotations: writes("a region's file and lines saying what it restored"),
		Example: "  famictl restore --data-dir data --region lombardia --from lombardia.db\n" +
			"  famictl restore --etcd-endpoints http://127.0.0.1:2379 --region lombardia --from lombardia.db --replace",
	}, func(cmd *cobra.Command, region string) error {
		o.region = region
		if err := o.etcd.check(); err != nil {
			return err
		}
		return restore(cmd.Context(), o, a.stdout)
	})
	f := cmd.Flags()
	f.StringVar(&o.dataDir, "data-dir", "data", "the server's data dir")
	f.StringVar(&o.from, "from", "", "backup file made by famictl backup")
	cmd.MarkFlagRequired("from")
	f.Int64Var(&o.bump, "bump-revision", 1_000_000, "how far above the highest revision known (the backup's, or the replaced file's or etcd region's when readable) the region continues (up to revision 2^53): more than the writes made since the backup; 0 keeps the backup's revisions, for a move of a region that no server has written since (onto a data dir or etcd cluster without that region)")
	f.BoolVar(&o.replace, "replace", false, "etcd: replace a region that holds keys (keep clients off it); its revision is read before they are deleted, so the region continues above it")
	o.etcd.add(f, "import into etcd instead of a data dir")
	return cmd
}

// restoreOptions are famictl restore's flags.
type restoreOptions struct {
	dataDir, region, from string
	// bump is how far above the highest revision known a restored region
	// continues, so no revision is issued twice.
	bump int64
	// replace lets an etcd import replace a region that holds keys.
	replace bool
	// etcd, with endpoints, imports into a cluster instead of a data dir.
	etcd etcdFlags
}

// restore installs a backup as a region's file in a data dir, or imports
// it into a region of an etcd cluster (--etcd-endpoints). famid must be
// stopped: the region file's lock says whether it is; on etcd the import
// refuses a region that is not empty (unless --replace) or is written
// meanwhile, and an import cut short is finished by running it again (it
// starts over); meanwhile no famid serves the region. On both, the region
// continues from continueAt's revision.
func restore(ctx context.Context, o restoreOptions, stdout io.Writer) error {
	region, from := o.region, o.from
	revision, err := bolt.CheckFile(from, region)
	if err != nil {
		return fmt.Errorf("%s is not a usable backup: %w", from, err)
	}
	var next int64 // 0: the backup's revisions are kept
	if o.etcd.set() {
		continueAt := func(issued int64, exact bool) (n int64, err error) {
			next, err = o.continueAt(revision, issued, exact, "etcd region "+region)
			return next, err
		}
		if err := importEtcd(ctx, o, revision, continueAt); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "imported region %s at revision %d into etcd %s (prefix %s)\n", region, revision, strings.Join(o.etcd.client.Endpoints, ","), o.etcd.prefix)
		continued(stdout, next)
		return nil
	}
	target := bolt.RegionFile(o.dataDir, region)
	// Holding the target's lock proves no famid serves this region while
	// the file is replaced. A damaged target (what a restore is for) may
	// not open at all: only a lock held elsewhere stops the restore.
	lock, err := bolt.LockFile(target)
	if err != nil {
		return fmt.Errorf("%s is in use (stop famid first): %w", target, err)
	}
	defer lock.Close()
	// A damaged target's revision is unknown: 0, a lower bound.
	if next, err = o.continueAt(revision, lock.Revision(), lock.Exact(), target); err != nil {
		return err
	}
	if err := lock.Restore(from, next); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored region %s at revision %d into %s\n", region, revision, target)
	continued(stdout, next)
	return nil
}

// continueAt is the revision a region restored from a backup at revision
// continues from, given the highest revision the replaced region issued
// (exact false when only a lower bound is known), or 0 to keep the
// backup's revisions (--bump-revision 0), which only a move may do.
func (o restoreOptions) continueAt(revision, issued int64, exact bool, target string) (int64, error) {
	issued = max(revision, issued) // the highest revision known to have been issued
	switch {
	case o.bump < 0:
		return 0, errors.New("--bump-revision must not be negative")
	case o.bump > store.MaxRevision-issued:
		return 0, fmt.Errorf("--bump-revision %d takes the region past revision %d (2^53), the highest it may continue from: %s has issued %d", o.bump, int64(store.MaxRevision), target, issued)
	case o.bump > 0:
		return issued + o.bump, nil
	case !exact:
		return 0, fmt.Errorf("--bump-revision 0 keeps revisions only for a move: %s held data whose highest revision is unknown (damaged, or its keys deleted; it issued at least %d)", target, issued)
	case issued != revision:
		// Revisions above the backup's were issued there: reusing them
		// would hide later writes from the regional systems.
		return 0, fmt.Errorf("--bump-revision 0 keeps revisions only for a move: %s has issued revision %d, past the backup's %d", target, issued, revision)
	}
	return 0, nil
}

// continued says where a restored region's revisions continue, if not
// from the backup's.
func continued(stdout io.Writer, next int64) {
	if next > 0 {
		fmt.Fprintf(stdout, "its revisions continue from %d, and older positions are compacted: regional systems list again\n", next)
	}
}

// importEtcd copies the region file o.from, at revision, into o.region
// of the cluster; next chooses the revision the region continues from.
// The backup's revision, which CheckFile read and next chooses from, goes
// up front (RestoreOptions.Revision): the import checks that the records
// it reads hold it.
func importEtcd(ctx context.Context, o restoreOptions, revision int64, next func(issued int64, exact bool) (int64, error)) error {
	st, closeStore, err := o.etcd.open(ctx, []string{o.region})
	if err != nil {
		return err
	}
	defer closeStore()
	return st.RestoreRegion(ctx, o.region, func(put func(store.Record) error) error {
		_, err := bolt.ReadRegionFile(o.from, put)
		return err
	}, etcd.RestoreOptions{Replace: o.replace, Continue: next, Revision: new(revision)})
}

func progressWriter(w io.Writer, quiet bool) io.Writer {
	if quiet {
		return io.Discard
	}
	return w
}
