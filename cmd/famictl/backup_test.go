package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/server"
	"github.com/raccordo/raccordo/internal/server/servertest"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/store/etcd/etcdtest"
)

// TestBackupAndRestore backs a region up from a running server through the
// API, restores it into another data dir and serves it from there.
func TestBackupAndRestore(t *testing.T) {
	f := startServer(t, server.Config{})
	src, url := f.dir, f.url
	token := f.token(auth.TokenSpec{Subject: "test:admin", Role: principal.RegionAdmin, Region: "lombardia"})
	partners := f.flags(token).sdk().Partners
	for i := range 30 {
		_, err := partners.CreatePartner(context.Background(), &famiv1.CreatePartnerRequest{
			Parent: "regions/lombardia", PartnerId: fmt.Sprintf("p%d", i),
			Partner: &famiv1.Partner{DisplayName: fmt.Sprintf("Partner %d", i), Kind: famiv1.PartnerKind_PARTNER_KIND_SCHOOL},
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	file := filepath.Join(t.TempDir(), "lombardia.db")
	var out, errOut bytes.Buffer
	if err := run([]string{"backup", "--server", url, "--token", token, "--region", "lombardia", "--out", file, "--quiet"}, &out, &errOut); err != nil {
		t.Fatalf("backup: %v (%s)", err, errOut.String())
	}
	if !strings.Contains(out.String(), "revision 30") {
		t.Fatalf("backup says %q, want revision 30", out.String())
	}

	// A restore into the live data dir is refused: famid holds the lock.
	if err := run([]string{"restore", "--data-dir", src, "--region", "lombardia", "--from", file}, &out, &errOut); err == nil {
		t.Fatal("restore over a running server's region succeeded")
	}
	// A consultant may not back up.
	consultant := f.token(auth.TokenSpec{Subject: "c", Role: principal.Consultant, Region: "lombardia"})
	if err := run([]string{"backup", "--server", url, "--token", consultant, "--region", "lombardia", "--out", file + ".x", "--quiet"}, &out, &errOut); err == nil {
		t.Fatal("a consultant's backup succeeded")
	}

	dst := t.TempDir()
	out.Reset()
	if err := run([]string{"restore", "--data-dir", dst, "--region", "lombardia", "--from", file}, &out, &errOut); err != nil {
		t.Fatalf("restore: %v", err)
	}
	s := bolttest.Open(t, dst, bolt.Options{Regions: []string{"lombardia"}})
	err := s.View(context.Background(), "lombardia", func(tx store.ReadTx) error {
		// The backup is at 30; the region continues above anything it
		// may have issued since, and older positions are compacted.
		if want := int64(30 + 1_000_000); tx.Revision() != want || tx.Compacted() != want {
			t.Errorf("restored revision = %d, compacted %d, want both %d", tx.Revision(), tx.Compacted(), want)
		}
		p := &famiv1.Partner{}
		if err := tx.Get("regions/lombardia/partners/p29", p); err != nil {
			return err
		}
		if p.GetDisplayName() != "Partner 29" {
			t.Errorf("restored partner = %v", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	if err := run([]string{"restore", "--data-dir", dst, "--region", "lombardia", "--from", filepath.Join(dst, "nope.db")}, &out, &errOut); err == nil {
		t.Fatal("restore of a missing file succeeded")
	}
}

// TestRestoreOverDamagedFile: the restore command famid names for a
// damaged region file works on that file (truncated, so bbolt faults when
// it reads it), and famid serves the region again.
func TestRestoreOverDamagedFile(t *testing.T) {
	dir := t.TempDir()
	writePartners(t, dir, numberedPartners(200)...)
	target := filepath.Join(dir, "regions", "lombardia.db")
	backup, size := bolttest.CopyRegion(t, dir, "lombardia")
	if err := os.Truncate(target, size/2); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := run([]string{"restore", "--data-dir", dir, "--region", "lombardia", "--from", backup}, &out, &errOut); err != nil {
		t.Fatalf("restore over a truncated file: %v", err)
	}
	s := bolttest.Open(t, dir, bolt.Options{Regions: []string{"lombardia"}})
	if err := s.View(context.Background(), "lombardia", func(tx store.ReadTx) error { return tx.Get("regions/lombardia/partners/p199", &famiv1.Partner{}) }); err != nil {
		t.Errorf("after the restore: %v", err)
	}
}

// TestRestoreRefusesAnotherRegionsBackup: Veneto's backup, downloaded from
// a running server, is refused as Lombardia's. Restored, it used to be
// served as Lombardia's data: Lombardia's admin read Veneto's partners
// under Lombardia's names, and the ministry read them twice.
func TestRestoreRefusesAnotherRegionsBackup(t *testing.T) {
	f := startServer(t, server.Config{})
	token := f.token(auth.TokenSpec{Subject: "test:admin", Role: principal.RegionAdmin, Region: "veneto"})
	_, err := f.flags(token).sdk().Partners.CreatePartner(context.Background(), &famiv1.CreatePartnerRequest{
		Parent: "regions/veneto", PartnerId: "udp-padova",
		Partner: &famiv1.Partner{DisplayName: "Ufficio di Piano di Padova", Kind: famiv1.PartnerKind_PARTNER_KIND_PLAN_OFFICE},
	})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "veneto.db")
	var out, errOut bytes.Buffer
	if err := run([]string{"backup", "--server", f.url, "--token", token, "--region", "veneto", "--out", file, "--quiet"}, &out, &errOut); err != nil {
		t.Fatalf("backup: %v (%s)", err, errOut.String())
	}

	dst := t.TempDir()
	err = run([]string{"restore", "--data-dir", dst, "--region", "lombardia", "--from", file}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "regions/veneto/partners/udp-padova") || !strings.Contains(err.Error(), "not lombardia's") {
		t.Fatalf("restore of veneto's backup as lombardia: %v, want a refusal naming veneto's data", err)
	}
	if _, err := os.Stat(bolt.RegionFile(dst, "lombardia")); !os.IsNotExist(err) {
		t.Errorf("the refused backup was installed: %v", err)
	}
	// As veneto it is restored.
	if err := run([]string{"restore", "--data-dir", dst, "--region", "veneto", "--from", file}, &out, &errOut); err != nil {
		t.Fatalf("restore of veneto's backup as veneto: %v", err)
	}
}

// TestRestoreRefusesABumpPastTheRevisionRange: a --bump-revision that
// takes the region past the revisions famid gives out is refused naming
// the flag, and nothing is installed. 2^63-1 used to wrap the revision
// to a negative one, which the restore read as "keep the backup's
// revisions": it installed the backup with them, the opposite of what
// was asked, and said nothing of where the region continued.
func TestRestoreRefusesABumpPastTheRevisionRange(t *testing.T) {
	src := t.TempDir()
	writePartners(t, src, numberedPartners(3)...)
	backup := bolt.RegionFile(src, "lombardia")
	for _, bump := range []string{"9223372036854775807", "9223372036854775805", "9007199254740990"} {
		dst := t.TempDir()
		var out, errOut bytes.Buffer
		err := run([]string{"restore", "--data-dir", dst, "--region", "lombardia", "--from", backup, "--bump-revision", bump}, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "--bump-revision") {
			t.Errorf("restore with --bump-revision %s: %v (%s), want a refusal naming the flag", bump, err, out.String())
		}
		if _, err := os.Stat(bolt.RegionFile(dst, "lombardia")); !os.IsNotExist(err) {
			t.Errorf("--bump-revision %s: the backup was installed: %v", bump, err)
		}
	}
}

// TestRestoreRefusesADamagedBackup: a backup holding a record that fails
// its checksum is refused, naming the record, before anything is written:
// into a data dir, where it used to be installed and the record then
// served as DATA_LOSS; and so before an etcd import, which with --replace
// deleted the region's keys first and then stopped at the record, leaving
// the region unserved until a sound backup was imported.
func TestRestoreRefusesADamagedBackup(t *testing.T) {
	src := t.TempDir()
	writePartners(t, src, &famiv1.Partner{Name: "regions/lombardia/partners/sound", DisplayName: "MARKER-sound"},
		&famiv1.Partner{Name: "regions/lombardia/partners/damaged", DisplayName: "MARKER-damaged"})
	bolttest.Damage(t, src, "lombardia", "MARKER-damaged")
	backup := bolt.RegionFile(src, "lombardia")

	dst := t.TempDir()
	var out, errOut bytes.Buffer
	err := run([]string{"restore", "--data-dir", dst, "--region", "lombardia", "--from", backup}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "regions/lombardia/partners/damaged") {
		t.Errorf("restore of a backup with a damaged record: %v, want refused naming the record", err)

	}
	if _, err := os.Stat(bolt.RegionFile(dst, "lombardia")); !os.IsNotExist(err) {
		t.Errorf("the damaged backup was installed: %v", err)
	}

	// On etcd, with --replace: the region keeps its data and is served.
	c := etcdtest.Start(t, etcdtest.Options{NoFsync: true})
	f := startServer(t, servertest.EtcdConfig(c.Endpoints(), "/r/"))
	admin := f.flags(f.token(auth.TokenSpec{Subject: "test:admin", Role: principal.RegionAdmin, Region: "lombardia"})).sdk().Partners
	if _, err := admin.CreatePartner(t.Context(), &famiv1.CreatePartnerRequest{Parent: "regions/lombardia", PartnerId: "kept",
		Partner: &famiv1.Partner{DisplayName: "Kept", Kind: famiv1.PartnerKind_PARTNER_KIND_SCHOOL}}); err != nil {
		t.Fatal(err)
	}
	err = run([]string{"restore", "--etcd-endpoints", strings.Join(c.Endpoints(), ","), "--etcd-prefix", "/r/", "--region", "lombardia", "--from", backup, "--replace"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "regions/lombardia/partners/damaged") {
		t.Errorf("etcd restore --replace of a backup with a damaged record: %v, want refused naming the record", err)
	}
	if _, err := admin.GetPartner(t.Context(), &famiv1.GetPartnerRequest{Name: "regions/lombardia/partners/kept"}); err != nil {
		t.Errorf("the region after the refused etcd restore: %v", err)
	}
}

// TestRestoreKeepingRevisionsOverADamagedFile: famictl restore
// --bump-revision 0 over a region file too damaged to say its revision
// (truncated to its header pages) is refused, naming the flag, the file
// left as it was: the file may have issued revisions past the backup's.
// It used to take the unreadable revision for 0 and install the backup
// with its own revisions.
func TestRestoreKeepingRevisionsOverADamagedFile(t *testing.T) {
	dir := t.TempDir()
	writePartners(t, dir, numberedPartners(20)...)
	target := bolt.RegionFile(dir, "lombardia")
	backup, _ := bolttest.CopyRegion(t, dir, "lombardia")
	if err := os.Truncate(target, 2*int64(os.Getpagesize())); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	err := run([]string{"restore", "--data-dir", dir, "--region", "lombardia", "--from", backup, "--bump-revision", "0"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "--bump-revision 0") || !strings.Contains(err.Error(), "highest revision is unknown (damaged") {
		t.Errorf("restore over a damaged file keeping the backup's revisions: %v, want refused", err)
	}
	if fi, err := os.Stat(target); err != nil || fi.Size() != 2*int64(os.Getpagesize()) {
		t.Errorf("the refused restore changed %s: %v", target, err)
	}
	if err := run([]string{"restore", "--data-dir", dir, "--region", "lombardia", "--from", backup}, &out, &errOut); err != nil {
		t.Fatalf("restore over the damaged file, continued: %v", err)
	}
}

// writePartners writes partners into lombardia's region file in the data
// dir dir, which no famid serves, one mutation each.
func writePartners(t *testing.T, dir string, partners ...*famiv1.Partner) {
	t.Helper()
	s, err := bolt.Open(dir, bolt.Options{Regions: []string{"lombardia"}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, p := range partners {
		_, err := s.Update(context.Background(), "lombardia", store.Mutation{Principal: "alice"}, func(tx store.WriteTx) (proto.Message, error) {
			return p, tx.Put(p)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// numberedPartners are n partners of lombardia, p0 to p(n-1), of about a
// kilobyte each.
func numberedPartners(n int) []*famiv1.Partner {
	out := make([]*famiv1.Partner, n)
	for i := range out {
		out[i] = &famiv1.Partner{Name: fmt.Sprintf("regions/lombardia/partners/p%d", i), DisplayName: strings.Repeat("x", 1000)}
	}
	return out
}
