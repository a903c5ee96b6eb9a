package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

func testRegions(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Unknown", func(t *testing.T) {
		s := open(t)
		ran := false
		err := s.View(t.Context(), "atlantide", func(store.ReadTx) error { ran = true; return nil })
		wantCode(t, "View(atlantide)", err, errs.NotFound)
		_, err = s.Update(t.Context(), "atlantide", alice, func(store.WriteTx) (proto.Message, error) {
			ran = true
			return &emptypb.Empty{}, nil
		})
		wantCode(t, "Update(atlantide)", err, errs.NotFound)
		_, err = s.Update(t.Context(), "", alice, func(store.WriteTx) (proto.Message, error) {
			ran = true
			return &emptypb.Empty{}, nil
		})
		wantCode(t, "Update of the empty region", err, errs.NotFound)
		if ran {
			t.Errorf("fn ran for an unknown region")
		}
	})

	t.Run("Region", func(t *testing.T) {
		s := open(t)
		for _, r := range []string{lombardia, veneto} {
			view(t, s, r, func(tx store.ReadTx) error {
				if got := tx.Region(); got != r {
					t.Errorf("ReadTx.Region: got %q, want %q", got, r)
				}
				return nil
			})
			write(t, s, r, func(tx store.WriteTx) error {
				if got := tx.Region(); got != r {
					t.Errorf("WriteTx.Region: got %q, want %q", got, r)
				}
				return nil
			})
		}
	})

	t.Run("Isolated", func(t *testing.T) {
		s := open(t)
		collections, indexes := []string{"partners"}, []string{"by_code"}
		emptyVeneto := snapshot(t, s, veneto, collections, indexes)

		put(t, s, alice, newPartner(lombardia, "p1"))
		put(t, s, alice, newPartner(lombardia, "p2"))
		indexPut(t, s, lombardia, "by_code", entry{"01199250158", "p1"})
		wantState(t, snapshot(t, s, veneto, collections, indexes), emptyVeneto)
		wantCode(t, "Get of veneto's p1", getErr(t, s, partnerName(veneto, "p1"), new(famiv1.Partner)), errs.NotFound)

		lombardiaBefore := snapshot(t, s, lombardia, collections, indexes)
		v, _ := put(t, s, alice, newPartner(veneto, "p1"))
		indexPut(t, s, veneto, "by_code", entry{"01199250158", "veneto p1"})
		wantState(t, snapshot(t, s, lombardia, collections, indexes), lombardiaBefore)

		wantRevision(t, s, veneto, 1, "veneto revision")
		wantRevision(t, s, lombardia, 2, "lombardia revision")
		chs := changes(t, s, veneto, 0)
		if len(chs) != 1 || chs[0].GetRevision() != 1 || chs[0].GetResourceName() != v.GetName() {
			t.Errorf("veneto change log: got %v, want one change of %s at revision 1", chs, v.GetName())
		}
	})
}

func testContext(t *testing.T, open func(t *testing.T) store.Store) {
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	expired, cancel := context.WithDeadline(t.Context(), time.Unix(0, 0))
	defer cancel()

	for _, tt := range []struct {
		name string
		ctx  context.Context
		want error
	}{
		{"Canceled", canceled, context.Canceled},
		{"DeadlineExceeded", expired, context.DeadlineExceeded},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			ran := false
			err := s.View(tt.ctx, lombardia, func(store.ReadTx) error { ran = true; return nil })
			if !errors.Is(err, tt.want) {
				t.Errorf("View: got %v, want %v", err, tt.want)
			}
			res, err := s.Update(tt.ctx, lombardia, alice, func(tx store.WriteTx) (proto.Message, error) {
				ran = true
				p := newPartner(lombardia, "p1")
				return p, tx.Put(p)
			})
			if !errors.Is(err, tt.want) {
				t.Errorf("Update: got %v, want %v", err, tt.want)
			}
			if res != nil {
				t.Errorf("Update result: got %v, want nil", res)
			}
			if ran {
				t.Errorf("fn ran with a done context")
			}
			wantRevision(t, s, lombardia, 0, "revision")
		})
	}
}

// testContextMidScan checks that a request whose context ends while it
// scans stops within a few steps: every scan (List, IndexScan, Changes)
// ends early and View returns the context's error, not a partial result.
func testContextMidScan(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	// The seed is written in small mutations: one of thousands of writes
	// exceeds what one etcd transaction may hold by default.
	const n, perMutation = 3000, 20
	for first := 0; first < n; first += perMutation {
		_, err := s.Update(t.Context(), lombardia, alice, func(tx store.WriteTx) (proto.Message, error) {
			for i := first; i < first+perMutation; i++ {
				id := fmt.Sprintf("p%05d", i)
				if err := tx.Put(newPartner(lombardia, id)); err != nil {
					return nil, err
				}
				if err := tx.IndexPut("scan", id, id); err != nil {
					return nil, err
				}
			}
			return &emptypb.Empty{}, nil
		})
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	scans := map[string]func(tx store.ReadTx, step func()) error{
		"List": func(tx store.ReadTx, step func()) error {
			return tx.List("partners", "", func(string, []byte) (bool, error) { step(); return true, nil })
		},
		"IndexScan": func(tx store.ReadTx, step func()) error {
			tx.IndexScan("scan", "", func(string, string) bool { step(); return true })
			return nil
		},
		"Changes": func(tx store.ReadTx, step func()) error {
			return tx.Changes(0, func(*famiv1.Change) bool { step(); return true })
		},
	}
	for name, scan := range scans {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			steps := 0
			err := s.View(ctx, lombardia, func(tx store.ReadTx) error {
				return scan(tx, func() {
					if steps++; steps == 10 {
						cancel() // the client leaves
					}
				})
			})
			if !errors.Is(err, context.Canceled) {
				t.Errorf("View: got %v, want context.Canceled", err)
			}
			if steps >= n {
				t.Errorf("the scan took all %d steps after the context ended, want it to stop early", steps)
			}
		})
	}
}
