package auth

import (
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/raccordo/raccordo/internal/principal"
)

// Readable tells which resource types of a region a caller may read, by
// the one right that says so: whether the rights table lets them call the
// type's standard List in that region. The change feed carries every type
// a region stores; a caller admitted to the feed gets only the types whose
// List would answer them, so the feed opens no right the table denies (the
// ministry reads a region's registry, never its contacts or individual
// support entries).
type Readable struct {
	policy Policy
	lists  map[string]list
	// resources are the types, with a name field, that a standard List or
	// Get serves: the only types a region's change log can hold.
	resources map[string]bool
}

// list is a type's standard List: its procedure and request type.
type list struct {
	procedure string
	request   protoreflect.MessageType
}

// Readable finds, in the services of package pkg (registered with
// protoregistry), each resource type's standard List: a method named
// List... whose request has a parent and whose response a repeated field
// of the type.
func (pol Policy) Readable(pkg protoreflect.FullName) Readable {
	r := Readable{policy: pol, lists: map[string]list{}, resources: map[string]bool{}}
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
	if strings.HasPrefix(string(m.Name()), "Get") && !m.IsStreamingServer() &&
		m.Input().Fields().ByName("name") != nil && m.Output().Fields().ByName("name") != nil {
		r.resources[string(m.Output().FullName())] = true // a singleton such as MonitoringSettings has a Get only
	}
	if !strings.HasPrefix(string(m.Name()), "List") || m.IsStreamingServer() || m.Input().Fields().ByName("parent") == nil {
		return
	}
	req, err := protoregistry.GlobalTypes.FindMessageByName(m.Input().FullName())
	if err != nil {
		return
	}
	fields := m.Output().Fields()
	for k := range fields.Len() {
		if fd := fields.Get(k); fd.IsList() && fd.Message() != nil {
			r.lists[string(fd.Message().FullName())] = list{procedure: "/" + string(svc.FullName()) + "/" + string(m.Name()), request: req}
			if fd.Message().Fields().ByName("name") != nil {
				r.resources[string(fd.Message().FullName())] = true // not a Change: no resource has no name (AIP-122)
			}
		}
	}
}

// Hidden returns, sorted, those of types that p may not read in region:
// the types whose List the rights table refuses p. A type without a
// standard List is not decided here, and is never among them.
func (r Readable) Hidden(p principal.Principal, region string, types []string) []string {
	var hidden []string
	for _, typ := range types {
		if l, ok := r.lists[typ]; ok && !r.may(p, region, l) {
			hidden = append(hidden, typ)
		}
	}
	slices.Sort(hidden)
	return hidden
}

// Resource reports whether typ is a resource type of the API: one with a
// name field that a standard List or Get serves. Any other name ("fami.v1.Nope",
// "fami.v1.Change", a request message) is no type a change can have.
func (r Readable) Resource(typ string) bool { return r.resources[typ] }

// Types are the resource types with a standard List, sorted.
func (r Readable) Types() []string {
	types := make([]string, 0, len(r.lists))
	for typ := range r.lists {
		types = append(types, typ)
	}
	slices.Sort(types)
	return types
}

func (r Readable) may(p principal.Principal, region string, l list) bool {
	req := l.request.New()
	req.Set(req.Descriptor().Fields().ByName("parent"), protoreflect.ValueOfString("regions/"+region))
	return r.policy.Authorize(l.procedure, p, req.Interface()) == nil
}
