package registry

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/resource"
	"github.com/raccordo/raccordo/internal/store"
)

// CountPartners counts, by kind, the partners of region (an id) that a
// ListPartners lists without show_archived, in one read. Of each stored
// partner it reads only the kind and archived fields (partnerKind), where
// counting through ListPartners decoded every partner whole, a page at a
// time; no index holds a partner's kind, so each record is still read. It
// is no RPC: its callers must hold the rights of a ListPartners of region
// (the dashboard's readers do).
//
// Errors: as store.Store's View (errs.NotFound for an unknown region).
func (s *Partners) CountPartners(ctx context.Context, region string) (map[famiv1.PartnerKind]int32, error) {
	kinds := map[famiv1.PartnerKind]int32{}
	err := s.r.store.View(ctx, region, func(tx store.ReadTx) error {
		return tx.List(resource.Partners, "", func(id string, raw []byte) (bool, error) {
			kind, archived, err := partnerKind(raw)
			if err != nil {
				return false, fmt.Errorf("store: decode regions/%s/partners/%s: %w", region, id, err)
			}
			if !archived {
				kinds[kind]++
			}
			return true, nil
		})
	})
	return kinds, err
}

// The field numbers partnerKind reads, from the generated descriptor.
var (
	partnerKindField     = (&famiv1.Partner{}).ProtoReflect().Descriptor().Fields().ByName("kind").Number()
	partnerArchivedField = (&famiv1.Partner{}).ProtoReflect().Descriptor().Fields().ByName("archived").Number()
)

// partnerKind reads a stored partner's kind and archived fields from its
// encoding and steps over every other field, as proto.Unmarshal reads
// them: the last value of a field wins, and a malformed encoding is an
// error.
func partnerKind(raw []byte) (kind famiv1.PartnerKind, archived bool, err error) {
	var k, a uint64
	err = resource.ReadVarints(raw, resource.Varint{Num: partnerKindField, Value: &k}, resource.Varint{Num: partnerArchivedField, Value: &a})
	return famiv1.PartnerKind(int32(k)), protowire.DecodeBool(a), err
}

// CountNetworks counts the networks of region (an id), every one a
// ListNetworks without filters lists (store.ReadTx.Count): each record's
// checksum is checked, none decoded. It is no RPC: its callers must
// hold the rights of a ListNetworks of region (the dashboard's readers
// do).
//
// Errors: as store.Store's View (errs.NotFound for an unknown region).
func (s *Networks) CountNetworks(ctx context.Context, region string) (int32, error) {
	var n int
	err := s.r.store.View(ctx, region, func(tx store.ReadTx) error {
		var err error
		n, err = tx.Count(resource.Networks)
		return err
	})
	return int32(n), err
}
