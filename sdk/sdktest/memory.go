// Package sdktest holds test doubles for programs built on the sdk.
package sdktest

import (
	"context"
	"maps"
	"strings"
	"sync"

	"github.com/raccordo/raccordo/sdk"
)

// Memory is a sdk.Handler holding a mirror in memory, safe for the mirror
// and a reader in other goroutines. It counts its resets: how many times
// the mirror listed the region again.
type Memory struct {
	mu       sync.Mutex
	items    map[string]sdk.Resource
	resets   int
	revision int64
}

var _ sdk.Handler = (*Memory)(nil)

// Reset drops everything and counts a reset.
func (m *Memory) Reset(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items = map[string]sdk.Resource{}
	m.resets++
	return nil
}

// Put stores r under its name.
func (m *Memory) Put(_ context.Context, r sdk.Resource) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[r.GetName()] = r
	return nil
}

// Delete removes the resource called name and those nested in it.
func (m *Memory) Delete(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	maps.DeleteFunc(m.items, func(n string, _ sdk.Resource) bool {
		return n == name || strings.HasPrefix(n, name+"/")
	})
	return nil
}

// Synced records the revision the mirror has reached.
func (m *Memory) Synced(_ context.Context, revision int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.revision = revision
	return nil
}

// State returns a copy of the mirrored resources by name, the number of
// resets and the revision the mirror has reached.
func (m *Memory) State() (items map[string]sdk.Resource, resets int, revision int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.items), m.resets, m.revision
}
