package admin_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/admin"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

func write(s store.Store, id string) error {
	_, err := s.Update(context.Background(), "lombardia", store.Mutation{Principal: "test"}, func(tx store.WriteTx) (proto.Message, error) {
		p := &famiv1.Partner{Name: "regions/lombardia/partners/" + id, DisplayName: id, Kind: famiv1.PartnerKind_PARTNER_KIND_OTHER}
		return p, tx.Put(p)
	})
	return err
}

// TestBackupUnderLoad backs a region up while writers carry on, restores
// the copy into a fresh data dir and checks it: bbolt's consistency check
// passes, it holds exactly the revision the backup reported, the data of
// that revision, and the SHA-256 the backup announced.
func TestBackupUnderLoad(t *testing.T) {
	src := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{"lombardia"}})
	for i := range 200 {
		if err := write(src, fmt.Sprintf("seed-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var writes atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := write(src, fmt.Sprintf("load-%d-%d", w, i)); err != nil {
					t.Error(err)
					return
				}
				writes.Add(1)
			}
		}()
	}
	for writes.Load() < 50 {
		time.Sleep(time.Millisecond)
	}

	var file bytes.Buffer
	var first, last *famiv1.BackupRegionResponse
	svc := admin.New(src)
	err := svc.Backup(context.Background(), "regions/lombardia", func(m *famiv1.BackupRegionResponse) error {
		if first == nil {
			first = m
		}
		last = m
		file.Write(m.GetData())
		return nil
	})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if int64(file.Len()) != first.GetSize() {
		t.Fatalf("backup has %d bytes, the first message announced %d", file.Len(), first.GetSize())
	}
	sum := sha256.Sum256(file.Bytes())
	if got := hex.EncodeToString(sum[:]); got != last.GetSha256() {
		t.Fatalf("sha256 = %s, announced %s", got, last.GetSha256())
	}
	if first.GetRevision() < 250 {
		t.Fatalf("backup revision %d: the load did not run during the backup", first.GetRevision())
	}

	// Restore: the file becomes a region file of a fresh data dir.
	dst := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dst, "regions"), 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dst, "regions", "lombardia.db")
	if err := os.WriteFile(path, file.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	bolttest.Check(t, path)
	restored := bolttest.Open(t, dst, bolt.Options{Regions: []string{"lombardia"}})
	var partners int
	err = restored.View(context.Background(), "lombardia", func(tx store.ReadTx) error {
		if got := tx.Revision(); got != first.GetRevision() {
			t.Errorf("restored revision = %d, backup reported %d", got, first.GetRevision())
		}
		return tx.List("partners", "", func(string, []byte) (bool, error) { partners++; return true, nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	if int64(partners) != first.GetRevision() {
		t.Errorf("restored %d partners, want %d (one per revision)", partners, first.GetRevision())
	}
}
