package auth

import (
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/raccordo/raccordo/internal/principal"
)

// Readable tells which resource types of a region a caller may read, by
// the rights that say so: those of the type's standard reads, its Get and
// its List. The change feed carries every type a region stores; a caller
// admitted to the feed gets only the types whose every standard read
// would answer them, so the feed opens no right the table denies (the
// ministry reads a region's registry, never its contacts or individual
// support entries). A type that no standard read serves is readable by
// nobody: deny by default.
type Readable struct {
	policy Policy
	// reads are each resource type's standard reads: its Get, with the
	// name field, and its List, with the parent field.
	reads map[string][]read
	owned Owned
}

// read is one standard read of a type: its procedure, its request type and
// the request field holding the name or parent it reads under.
type read struct {
	procedure string
	request   protoreflect.MessageType
	field     protoreflect.Name
}

// Owned names the resource types whose standard reads give a caller only
// the records it owns (a List filtered by owner), with the roles that read
// every record of the type. The rights table cannot tell that, since it
// decides by role and region: the capability declares it. A change has no
// owner the feed could filter by, so a type is fed only to those roles.
type Owned map[string][]principal.Role

// Readable finds, in the services of package pkg (registered with
// protoregistry), each resource type's standard reads: a method named
// Get... whose request has a name and whose response is a type with one,
// and a method named List... whose request has a parent and whose response
// a repeated field of a type with a name. owned are the types whose reads
// are filtered by owner.
func (pol Policy) Readable(pkg protoreflect.FullName, owned Owned) Readable {
	r := Readable{policy: pol, reads: map[string][]read{}, owned: owned}
	protoregistry.GlobalFiles.RangeFilesByPackage(pkg, func(f protoreflect.FileDescriptor) bool {
		for i := range f.Services().Len() {
			svc := f.Services().Get(i)
			for j := range svc.Methods().Len() {
				r.add(svc, svc.Methods().Get(j))
			}
		}
		return true
	})
	return r
}

func (r Readable) add(svc protoreflect.ServiceDescriptor, m protoreflect.MethodDescriptor) {
	if m.IsStreamingServer() {
		return
	}
	name := string(m.Name())
	req, err := protoregistry.GlobalTypes.FindMessageByName(m.Input().FullName())
	if err != nil {
		return
	}
	procedure := "/" + string(svc.FullName()) + "/" + name
	switch {
	case strings.HasPrefix(name, "Get") && m.Input().Fields().ByName("name") != nil && m.Output().Fields().ByName("name") != nil:
		typ := string(m.Output().FullName()) // a singleton such as MonitoringSettings has a Get only
		r.reads[typ] = append(r.reads[typ], read{procedure: procedure, request: req, field: "name"})
	case strings.HasPrefix(name, "List") && m.Input().Fields().ByName("parent") != nil:
		fields := m.Output().Fields()
		for k := range fields.Len() {
			// Not a Change: no resource has no name (AIP-122).
			if fd := fields.Get(k); fd.IsList() && fd.Message() != nil && fd.Message().Fields().ByName("name") != nil {
				typ := string(fd.Message().FullName())
				r.reads[typ] = append(r.reads[typ], read{procedure: procedure, request: req, field: "parent"})
			}
		}
	}
}

// Hidden returns, sorted, those of types that p may not read in region:
// the types one of whose standard reads the rights table refuses p, those
// whose reads give p only its own records (Owned), and those no standard
// read serves.
func (r Readable) Hidden(p principal.Principal, region string, types []string) []string {
	var hidden []string
	for _, typ := range types {
		if !r.may(p, region, typ) {
			hidden = append(hidden, typ)
		}
	}
	slices.Sort(hidden)
	return hidden
}

// Resource reports whether typ is a resource type of the API: one with a
// name field that a standard List or Get serves. Any other name ("fami.v1.Nope",
// "fami.v1.Change", a request message) is no type a change can have.
func (r Readable) Resource(typ string) bool { return len(r.reads[typ]) > 0 }

// Types are the resource types of the API, sorted.
func (r Readable) Types() []string {
	types := make([]string, 0, len(r.reads))
	for typ := range r.reads {
		types = append(types, typ)
	}
	slices.Sort(types)
	return types
}

func (r Readable) may(p principal.Principal, region, typ string) bool {
	reads := r.reads[typ]
	if len(reads) == 0 {
		return false
	}
	if roles, ok := r.owned[typ]; ok && !slices.Contains(roles, p.Role) {
		return false
	}
	for _, rd := range reads {
		req := rd.request.New()
		req.Set(req.Descriptor().Fields().ByName(rd.field), protoreflect.ValueOfString("regions/"+region))
		if r.policy.Authorize(rd.procedure, p, req.Interface()) != nil {
			return false
		}
	}
	return true
}
