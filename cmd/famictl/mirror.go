package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/raccordo/raccordo/sdk"
)

// mirror keeps DIR in sync with a region: one JSON file per resource
// (DIR/<collection>/<id>.json) and DIR/.revision, from which a restarted
// mirror resumes without listing again.
func mirror(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("famictl mirror", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cf := addClientFlags(fs)
	region := fs.String("region", "", "region id, e.g. lombardia")
	out := fs.String("out", "", "directory to keep in sync")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *region == "" || *out == "" {
		return errors.New("--region and --out are required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runMirror(ctx, cf, *region, *out, slog.New(slog.NewTextHandler(stderr, nil)))
}

func runMirror(ctx context.Context, cf clientFlags, region, out string, log *slog.Logger) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	d := &dirMirror{root: out}
	since, err := d.revision()
	if err != nil {
		return err
	}
	m := &sdk.Mirror{
		Client:  sdk.NewClient(cf.httpClient(), *cf.server, *cf.token),
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

func (d *dirMirror) revision() (int64, error) {
	b, err := os.ReadFile(filepath.Join(d.root, revisionFile))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

// path maps regions/{r}/{collection}/{id} to DIR/{collection}/{id}.json,
// refusing names that would leave the directory.
func (d *dirMirror) path(name string) (string, error) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[0] != "regions" {
		return "", fmt.Errorf("unexpected resource name %q", name)
	}
	for _, p := range parts[2:] {
		if p == "" || p == "." || p == ".." || strings.ContainsAny(p, `/\`) {
			return "", fmt.Errorf("unexpected resource name %q", name)
		}
	}
	return filepath.Join(d.root, parts[2], parts[3]+".json"), nil
}

func (d *dirMirror) Reset(context.Context) error {
	entries, err := os.ReadDir(d.root)
	if err != nil {
		return err
	}
	for _, e := range entries {
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
	return writeAtomic(p, append(b, '\n'))
}

func (d *dirMirror) Delete(_ context.Context, name string) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func (d *dirMirror) Synced(_ context.Context, revision int64) error {
	return writeAtomic(filepath.Join(d.root, revisionFile), []byte(strconv.FormatInt(revision, 10)+"\n"))
}

// writeAtomic replaces a file so a reader never sees half of it.
func writeAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
