package support

import (
	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
)

// The support-hours rights of DESIGN.md section 6. Consultants log their
// own entries; the region reviews them and closes periods; reports reach
// the ministry (every region) and network members as summaries only.
//
// The rows below bind roles to a region; the rest of each right depends on
// the data and is checked in this package:
//   - a consultant reads, edits and deletes only their own entries
//     (GetSupportEntry and editable in entries.go, with notOwn);
//   - lists and entry exports: consultants their own entries, the ministry
//     and network members none (newEntryFilter in list.go, summariesOnly);
//   - summaries and summary exports: consultants their own figures, the
//     ministry and network members without per-consultant figures, network
//     members their partner's networks only (newSummaryQuery and
//     registry.MemberNetworks).
var (
	supportLoggers   = []principal.Role{principal.Consultant}
	supportReviewers = []principal.Role{principal.RegionAdmin}
	supportReaders   = []principal.Role{principal.RegionAdmin, principal.RegionalSystem, principal.Consultant}
	supportReporters = []principal.Role{principal.Ministry, principal.RegionAdmin, principal.RegionalSystem, principal.Consultant, principal.NetworkMember}
)

// Rights are the rows of the rights table for the SupportService's RPCs.
func Rights() auth.Policy {
	return auth.Policy{
		famiv1.SupportService_CreateSupportEntry_FullMethodName:         auth.InRegion("parent", supportLoggers...),
		famiv1.SupportService_GetSupportEntry_FullMethodName:            auth.InRegion("name", supportReaders...),
		famiv1.SupportService_ListSupportEntries_FullMethodName:         auth.InRegion("parent", supportReaders...),
		famiv1.SupportService_UpdateSupportEntry_FullMethodName:         auth.InRegion("support_entry.name", supportLoggers...),
		famiv1.SupportService_DeleteSupportEntry_FullMethodName:         auth.InRegion("name", supportLoggers...),
		famiv1.SupportService_BatchApproveSupportEntries_FullMethodName: auth.InRegion("parent", supportReviewers...),
		famiv1.SupportService_BatchRejectSupportEntries_FullMethodName:  auth.InRegion("parent", supportReviewers...),
		famiv1.SupportService_RejectSupportEntry_FullMethodName:         auth.InRegion("name", supportReviewers...),
		famiv1.SupportService_ClosePeriod_FullMethodName:                auth.InRegion("parent", supportReviewers...),
		famiv1.SupportService_ReopenPeriod_FullMethodName:               auth.InRegion("name", supportReviewers...),
		famiv1.SupportService_ListClosedPeriods_FullMethodName:          auth.InRegion("parent", auth.Readers()...),
		famiv1.SupportService_SummarizeSupportEntries_FullMethodName:    auth.InRegion("parent", supportReporters...),
		famiv1.SupportService_ExportSupportEntries_FullMethodName:       auth.InRegion("parent", supportReporters...),
	}
}
