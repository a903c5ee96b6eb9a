package registry

import (
	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/auth"
	"github.com/raccordo/raccordo/internal/principal"
)

// The registry's rights of DESIGN.md section 6: the reference data is
// public; partners, projects and networks are read by every role of the
// region (the ministry everywhere) and written by the region and its
// systems.
var (
	registryWriters = []principal.Role{principal.RegionAdmin, principal.RegionalSystem}
	// Network members may also update the networks their partner leads:
	// leadOnly (networks.go) checks the lead against the stored network,
	// and keeps the lead itself the region's to change.
	networkEditors = []principal.Role{principal.RegionAdmin, principal.RegionalSystem, principal.NetworkMember}
)

// The contacts register holds professional data of partners' staff: read
// inside the region only (the ministry sees counts, never contacts), by
// network members only for their networks' partners (readableStaff, in
// contacts.go), kept by the region, its consultants and systems.
var (
	contactReaders = []principal.Role{principal.RegionAdmin, principal.Consultant, principal.NetworkMember, principal.RegionalSystem}
	contactWriters = []principal.Role{principal.RegionAdmin, principal.Consultant, principal.RegionalSystem}
)

// Overlaps of projects (DESIGN.md section 6, "overlaps, national
// summaries"): the ministry everywhere, the region, its consultants and
// systems their own region; not network members.
var overlapReaders = []principal.Role{principal.Ministry, principal.RegionAdmin, principal.Consultant, principal.RegionalSystem}

// Rights are the rows of the rights table for the registry's RPCs: regions,
// partners, projects, networks, contacts and overlaps.
func Rights() auth.Policy {
	readers := auth.Readers()
	return auth.Policy{
		famiv1.RegionService_ListRegions_FullMethodName:        auth.Public,
		famiv1.RegionService_GetRegion_FullMethodName:          auth.Public,
		famiv1.RegionService_ListMunicipalities_FullMethodName: auth.Public,

		famiv1.PartnerService_GetPartner_FullMethodName:       auth.InRegion("name", readers...),
		famiv1.PartnerService_BatchGetPartners_FullMethodName: auth.InRegion("parent", readers...),
		famiv1.PartnerService_ListPartners_FullMethodName:     auth.InRegion("parent", readers...),
		famiv1.PartnerService_CreatePartner_FullMethodName:    auth.InRegion("parent", registryWriters...),
		famiv1.PartnerService_UpdatePartner_FullMethodName:    auth.InRegion("partner.name", registryWriters...),
		famiv1.PartnerService_DeletePartner_FullMethodName:    auth.InRegion("name", registryWriters...),

		famiv1.ProjectService_GetProject_FullMethodName:       auth.InRegion("name", readers...),
		famiv1.ProjectService_BatchGetProjects_FullMethodName: auth.InRegion("parent", readers...),
		famiv1.ProjectService_ListProjects_FullMethodName:     auth.InRegion("parent", readers...),
		famiv1.ProjectService_CreateProject_FullMethodName:    auth.InRegion("parent", registryWriters...),
		famiv1.ProjectService_UpdateProject_FullMethodName:    auth.InRegion("project.name", registryWriters...),
		famiv1.ProjectService_DeleteProject_FullMethodName:    auth.InRegion("name", registryWriters...),
		famiv1.ProjectService_ExtendProject_FullMethodName:    auth.InRegion("name", registryWriters...),

		famiv1.NetworkService_GetNetwork_FullMethodName:       auth.InRegion("name", readers...),
		famiv1.NetworkService_BatchGetNetworks_FullMethodName: auth.InRegion("parent", readers...),
		famiv1.NetworkService_ListNetworks_FullMethodName:     auth.InRegion("parent", readers...),
		famiv1.NetworkService_CreateNetwork_FullMethodName:    auth.InRegion("parent", registryWriters...),
		famiv1.NetworkService_UpdateNetwork_FullMethodName:    auth.InRegion("network.name", networkEditors...),
		famiv1.NetworkService_DeleteNetwork_FullMethodName:    auth.InRegion("name", registryWriters...),

		famiv1.ContactService_CreateContact_FullMethodName: auth.InRegion("parent", contactWriters...),
		famiv1.ContactService_GetContact_FullMethodName:    auth.InRegion("name", contactReaders...),
		famiv1.ContactService_ListContacts_FullMethodName:  auth.InRegion("parent", contactReaders...),
		famiv1.ContactService_UpdateContact_FullMethodName: auth.InRegion("contact.name", contactWriters...),
		famiv1.ContactService_DeleteContact_FullMethodName: auth.InRegion("name", contactWriters...),

		famiv1.OverlapService_ListOverlaps_FullMethodName: auth.InRegion("parent", overlapReaders...),
	}
}
