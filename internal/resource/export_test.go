package resource

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/raccordo/raccordo/internal/aip"
	"github.com/raccordo/raccordo/internal/store"
)

// ListInEveryParentBefore is ListInEveryParent as it was, the baseline
// of BenchmarkListInEveryParent: each page read the ids of every parent
// after the one it resumed in before walking any.
func ListInEveryParentBefore[Resp proto.Message, T store.Resource](ctx context.Context, s store.Store, region string, req aip.ListRequest, parents, collection string) (Resp, error) {
	return listAnswer[Resp](ctx, s, region, req, func(tx store.ReadTx) (walk[T], func(T) (bool, error), error) {
		return everyParentBefore[T](tx, parents, collection), nil, nil
	}, nil)
}

func everyParentBefore[T store.Resource](tx store.ReadTx, parents, collection string) walk[T] {
	return func(after string, fn func(string, T) (bool, error)) error {
		more := true
		in := func(parent, after string) error {
			return inCollection[T](tx, parents+"/"+parent+"/"+collection)(after, func(id string, item T) (bool, error) {
				ok, err := fn(store.Key(parent, id), item)
				more = ok
				return ok, err
			})
		}
		first := ""
		if after != "" {
			p, _ := store.SplitKey(after, 2)
			first = p[0]
			if err := in(first, p[1]); err != nil || !more {
				return err
			}
		}
		var ids []string
		if err := tx.List(parents, first, func(id string, _ []byte) (bool, error) {
			ids = append(ids, id)
			return true, nil
		}); err != nil {
			return err
		}
		for _, id := range ids {
			if err := in(id, ""); err != nil || !more {
				return err
			}
		}
		return nil
	}
}
