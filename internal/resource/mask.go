package resource

import (
	"errors"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/store"
)

// An update whose mask names only output-only fields changes nothing
// (aip.Unchanged; AIP-203, ADR 23), but it is still an update: a caller
// the capability would refuse (not the network's lead, not the entry's
// consultant, an approved report) gets the same refusal as for a real
// change, whether or not the mask changes anything. So the capability's
// update runs whole on the resource as stored, its checks and its write
// included, and the opening (Mutate, Modify and those built on them) then
// rolls the transaction back: no revision, no change-log entry, no new
// etag, and the answer is the resource as it was.

// maskTx is the transaction an opening gives its fn: ApplyMask records on
// it that the mask changed nothing.
type maskTx struct {
	store.WriteTx
	unchanged *aip.Unchanged
}

// ApplyMask is aip.ApplyMask in an Update's transaction tx. A mask that
// changes nothing is not an error: unchanged is a copy of dst as it is
// (the stored resource), which the update's answer will be, and the caller
// carries on with its checks and its write on dst, which the opening rolls
// back. The caller may make unchanged as its Get shows it (a project's
// overlap count); it is nil (T's zero) for a mask that changes something.
func ApplyMask[T proto.Message](tx store.WriteTx, dst T, src proto.Message, mask *fieldmaskpb.FieldMask, mutable []string, outputOnly ...string) (unchanged T, err error) {
	err = aip.ApplyMask(dst, src, mask, mutable, outputOnly...)
	var u *aip.Unchanged
	mt, ok := tx.(*maskTx)
	if !errors.As(err, &u) || !ok {
		return unchanged, err // outside an opening, the no-op stays a refusal
	}
	unchanged = proto.CloneOf(dst)
	mt.unchanged = &aip.Unchanged{Resource: unchanged, Err: u.Err}
	return unchanged, nil
}

// masked runs fn on tx as ApplyMask can mark it, and turns an update that
// changed nothing, once fn has accepted it, into *aip.Unchanged, whose
// error rolls the transaction back (noWrite then answers its resource).
func masked[R proto.Message](tx store.WriteTx, fn func(store.WriteTx) (R, error)) (R, error) {
	mt := &maskTx{WriteTx: tx}
	r, err := fn(mt)
	if err == nil && mt.unchanged != nil {
		var zero R
		return zero, mt.unchanged
	}
	return r, err
}
