package feed

import (
	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
)

// The change feed is for the systems that mirror a region and for the
// authorities above them (DESIGN.md section 6, "change feed").
var feedReaders = []principal.Role{principal.Ministry, principal.RegionAdmin, principal.RegionalSystem}

// Rights are the rows of the rights table for the SyncService's RPCs.
func Rights() auth.Policy {
	return auth.Policy{
		famiv1.SyncService_ListChanges_FullMethodName: auth.InRegion("parent", feedReaders...),
		famiv1.SyncService_Watch_FullMethodName:       auth.InRegion("parent", feedReaders...),
	}
}
