package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/raccordo/raccordo/internal/atomicfile"
	"github.com/raccordo/raccordo/sdk"
)

func newMirrorCmd(a *app) *cobra.Command {
	var out string
	cmd := inRegion(&cobra.Command{
		Use:         "mirror",
		Short:       "Keep a directory in sync with a region: one JSON file per resource",
		Annotations: writes("one JSON file per resource"),
		Long: `Keep a directory in sync with a region, until interrupted.

famictl lists every collection of the region (partners, projects, networks,
protocols, meetings, support entries, closed periods, contacts, surveys) into
DIR/<collection>/<id>.json, writes the revision it reached to DIR/.revision,
then follows the region's change feed, rewriting and deleting files as
resources change and advancing .revision. Stopped and started again, it
resumes from .revision without listing again; when the server has compacted
the change log past it, it empties DIR and lists again. DIR is the mirror's:
on the first run it must be new or empty.

A resource nested in another (a project's monitoring report, a network's
capacity assessment) goes under its parent's directory, as
DIR/projects/<project>/monitoringReports/<id>.json; the mirror lists each
parent's with it. A report's earlier approved revisions, kept when it is
corrected, are beside it as <id>@<revision>.json.`,
		Example: "  FAMICTL_TOKEN=... famictl mirror --region lombardia --out ./lombardia",
	}, func(cmd *cobra.Command, region string) error {
		fmt.Fprintf(a.stderr, "mirroring region %s from %s into %s (one JSON file per resource, progress in %s); stop with Ctrl-C, a restart resumes\n",
			region, a.server, out, filepath.Join(out, revisionFile))
		return runMirror(cmd.Context(), a.client(), region, out, slog.New(slog.NewTextHandler(a.stderr, nil)))
	})
	cmd.Flags().StringVar(&out, "out", "", "directory to keep in sync")
	cmd.MarkFlagRequired("out")
	return cmd
}

func runMirror(ctx context.Context, cf clientFlags, region, out string, log *slog.Logger) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	d := &dirMirror{root: out}
	if err := d.claim(); err != nil {
		return err
	}
	since, err := d.revision()
	if err != nil {
		return err
	}
	m := &sdk.Mirror{
		Client:  cf.sdk(),
		Region:  region,
		Handler: d,
		Since:   since,
		Logger:  log,
	}
	return m.Run(ctx)
}

// dirMirror is a sdk.Handler over a directory.
type dirMirror struct{ root string }

const revisionFile = ".revision"

// claim makes the directory the mirror's. The mirror empties it whenever
// it lists the region again, so a directory without a .revision must be
// empty: famictl mirror --out . in a home directory deleted every file in
// it. A .revision of 0 then marks it as a mirror's before the first list,
// so a first run cut short resumes there.
func (d *dirMirror) claim() error {
	_, err := os.Stat(filepath.Join(d.root, revisionFile))
	if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	entries, err := os.ReadDir(d.root)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s is not empty and holds no mirror (no %s): the mirror empties its directory whenever it lists the region again; give it a new or empty one", d.root, revisionFile)
	}
	return d.Synced(context.Background(), 0)
}

// revision is the position saved in .revision; one that is not a revision
// (the file edited or damaged) is refused naming the file and the way out.
func (d *dirMirror) revision() (int64, error) {
	p := filepath.Join(d.root, revisionFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	rev, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || rev < 0 {
		return 0, fmt.Errorf("%s holds %.40q, not a revision: write 0 in it to list the region again", p, b)
	}
	return rev, nil
}

// path maps regions/{r}/{collection}/{id} to DIR/{collection}/{id}.json,
// and a nested resource (regions/{r}/projects/{p}/monitoringReports/{id})
// under its parent's directory (DIR/projects/{p}/monitoringReports/{id}.json),
// refusing names that would leave the directory or reach the mirror's
// own files (.revision and the temporary files beside it).
func (d *dirMirror) path(name string) (string, error) {
	parts := strings.Split(name, "/")
	if len(parts) < 4 || len(parts)%2 != 0 || parts[0] != "regions" {
		return "", fmt.Errorf("unexpected resource name %q", name)
	}
	for _, p := range parts[2:] {
		if p == "" || strings.HasPrefix(p, ".") || strings.ContainsAny(p, `/\`) {
			return "", fmt.Errorf("unexpected resource name %q", name)
		}
	}
	return filepath.Join(d.root, filepath.Join(parts[2:]...)+".json"), nil
}

// Reset empties the directory but for its .revision, which it sets to 0
// first: a list cut short (Ctrl-C, a full disk, a lost server) leaves a
// directory that is still the mirror's, and the next run lists again. It
// used to remove .revision with the rest, and the next run refused the
// directory as not empty and holding no mirror.
func (d *dirMirror) Reset(ctx context.Context) error {
	if err := d.Synced(ctx, 0); err != nil {
		return err
	}
	entries, err := os.ReadDir(d.root)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == revisionFile {
			continue
		}
		if err := os.RemoveAll(filepath.Join(d.root, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func (d *dirMirror) Put(_ context.Context, r sdk.Resource) error {
	p, err := d.path(r.GetName())
	if err != nil {
		return err
	}
	b, err := protojson.MarshalOptions{Multiline: true}.Marshal(r)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(p, append(b, '\n'), 0o644)
}

// Delete removes the resource's file and the directory of the resources
// nested in it (DIR/projects/{p}.json and DIR/projects/{p}/): they are
// part of its record, and the directory stayed behind, with whatever it
// held, once its parent was gone.
func (d *dirMirror) Delete(_ context.Context, name string) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.RemoveAll(strings.TrimSuffix(p, ".json"))
}

func (d *dirMirror) Synced(_ context.Context, revision int64) error {
	return atomicfile.WriteFile(filepath.Join(d.root, revisionFile), []byte(strconv.FormatInt(revision, 10)+"\n"), 0o644)
}
