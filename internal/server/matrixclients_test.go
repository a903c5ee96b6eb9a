package server_test

import (
	"sync"
	"testing"
)

// perEnv holds what a family of matrix cells builds once per matrixEnv
// (clients of every role, fixtures), dropped when the env's test ends.
type perEnv[V any] struct {
	mu sync.Mutex
	m  map[*matrixEnv]V
}

// get returns e's value, building it on first use. The build gets the
// env's test: what it makes lives as long as the env's server.
func (p *perEnv[V]) get(e *matrixEnv, build func(envT *testing.T) V) V {
	p.mu.Lock()
	v, ok := p.m[e]
	p.mu.Unlock()
	if ok {
		return v
	}
	// Built outside the lock, so that envs build theirs at once: an env's
	// cells run one at a time, so one env's is never built twice.
	envT := e.ts.t.(*testing.T)
	v = build(envT)
	p.mu.Lock()
	if p.m == nil {
		p.m = map[*matrixEnv]V{}
	}
	p.m[e] = v
	p.mu.Unlock()
	envT.Cleanup(func() {
		p.mu.Lock()
		delete(p.m, e)
		p.mu.Unlock()
	})
	return v
}

// roleSurfaceSets are the surfaces of the matrix's roles, per env.
var roleSurfaceSets perEnv[map[string]surface]

// roleSurfaces are the surfaces of the meeting, monitoring, evaluation,
// survey and contact cells: one on the env's kind for every matrix role
// (meetingSpec's tokens; the anonymous one without a token) and, under
// "admin:{region}", the env's admin of each of the matrix's regions. They
// are built on first use.
func (c *matrixCall) roleSurfaces() map[string]surface {
	return roleSurfaceSets.get(c.env, func(envT *testing.T) map[string]surface {
		e := c.env
		m := map[string]surface{roleAnonymous: newSurfaceAs(envT, e.ts, e.kind, "")}
		for _, role := range matrixRoles[1:] {
			m[role] = newSurfaceFor(envT, e.ts, e.kind, e.meetingSpec(role))
		}
		for _, region := range []string{ownRegion, foreignRegion} {
			m["admin:"+region] = e.admins[region]
		}
		return m
	})
}
