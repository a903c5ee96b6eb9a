package etcd

import "github.com/raccordo/raccordo/internal/store"

// ListWithChildren is tx's List reading its collection's range with every
// value, the children's too, as List did: BenchmarkListWithChildren's
// baseline.
func ListWithChildren(rtx store.ReadTx, collection, after string, fn func(id string, raw []byte) (bool, error)) error {
	return rtx.(*tx).list(collection, after, false, fn)
}
