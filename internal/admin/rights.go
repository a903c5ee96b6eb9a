package admin

import (
	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
)

var (
	// A region's backup is the region admin's, or the ministry's for any
	// region.
	backupers = []principal.Role{principal.Ministry, principal.RegionAdmin}
	// Compacting drops audit history: the platform operator's call.
	operators = []principal.Role{principal.Ministry}
)

// Rights are the rows of the rights table for the AdminService's RPCs.
func Rights() auth.Policy {
	return auth.Policy{
		famiv1.AdminService_BackupRegion_FullMethodName:   auth.InRegion("name", backupers...),
		famiv1.AdminService_CompactChanges_FullMethodName: auth.InRegion("parent", operators...),
	}
}
