package store_test

import (
	"bytes"
	"context"
	"testing"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
)

func TestModify(t *testing.T) {
	s := bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{"lombardia"}})
	ctx := context.Background()
	const name = "regions/lombardia/partners/p"
	rename := func(etag, to string) (*famiv1.Partner, error) {
		return store.Modify(ctx, s, "lombardia", store.Mutation{Principal: "t"}, name, etag, func(tx store.WriteTx, cur *famiv1.Partner) (*famiv1.Partner, error) {
			if to == "" {
				return nil, errs.InvalidField("partner.display_name", "is required")
			}
			cur.DisplayName = to
			return cur, tx.Put(cur)
		})
	}
	if _, err := rename("", "x"); errs.CodeOf(err) != errs.NotFound {
		t.Fatalf("modify a missing resource: err = %v, want NOT_FOUND", err)
	}
	_, err := s.Update(ctx, "lombardia", store.Mutation{Principal: "t"}, func(tx store.WriteTx) (proto.Message, error) {
		p := &famiv1.Partner{Name: name, DisplayName: "first"}
		return p, tx.Put(p)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := rename("1", "second")
	if err != nil || got.GetDisplayName() != "second" || got.GetEtag() != "2" {
		t.Fatalf("modify with the current etag = %v, %v; want renamed at etag 2", got, err)
	}
	if _, err := rename("1", "third"); errs.CodeOf(err) != errs.Conflict {
		t.Fatalf("modify with a stale etag: err = %v, want ABORTED", err)
	}
	// A stale change also names the fields it would have refused on the
	// current state, and writes nothing (fn ran, and put "third").
	_, err = rename("1", "")
	if e := errs.As(err); e == nil || e.Code != errs.Conflict || len(e.Violations) != 1 || e.Violations[0].Field != "partner.display_name" {
		t.Fatalf("a stale change with an invalid field: err = %v, want ABORTED naming partner.display_name", err)
	}
	var stored famiv1.Partner
	if err := s.View(ctx, "lombardia", func(tx store.ReadTx) error { return tx.Get(name, &stored) }); err != nil || stored.GetDisplayName() != "second" {
		t.Fatalf("after the stale changes: %v, %v; want the partner as renamed at etag 2", &stored, err)
	}
	if got, err := rename("", "fourth"); err != nil || got.GetDisplayName() != "fourth" {
		t.Fatalf("modify without an etag = %v, %v", got, err)
	}
}

func TestMutationOfFingerprintsOnlyWithAKey(t *testing.T) {
	req := &famiv1.CreatePartnerRequest{Parent: "regions/lombardia", PartnerId: "p"}
	keyed, err := store.MutationOf(context.Background(), "request-1", req)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keyed.Fingerprint, store.Fingerprint(req); !bytes.Equal(got, want) {
		t.Errorf("with a request_id: fingerprint %x, want the request's %x", got, want)
	}
	unkeyed, err := store.MutationOf(context.Background(), "", req)
	if err != nil {
		t.Fatal(err)
	}
	if unkeyed.Fingerprint != nil {
		t.Errorf("without a request_id: fingerprint %x, want none (no retry to recognise)", unkeyed.Fingerprint)
	}
}
