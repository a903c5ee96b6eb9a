package registry

import (
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/store"
)

// SetRefs records, in the region's "refs" index, the registry resources
// (partners, projects, networks) that source references, replacing those
// listed in old. Services outside the registry whose resources point at
// the registry's call it in the transaction that writes source, so that
// deleting a resource source still references fails with
// FAILED_PRECONDITION naming source (PARTNER_IN_USE, NETWORK_IN_USE, ...).
// Pass next nil when source is deleted.
func SetRefs(tx store.WriteTx, source string, old, next []string) error {
	return setRefs(tx, source, old, next)
}

// InUse fails with FAILED_PRECONDITION (reason, e.g. PROTOCOL_IN_USE) when
// a resource recorded with SetRefs still references target, naming it.
func InUse(tx store.ReadTx, target string, reason errs.Reason) error {
	return inUse(tx, target, reason)
}
