package registry_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/registry"
	"github.com/raccordo/raccordo/internal/store"
	"github.com/raccordo/raccordo/internal/store/bolt"
	"github.com/raccordo/raccordo/internal/store/bolt/bolttest"
	"github.com/raccordo/raccordo/internal/territory"
)

// scanCounter is a store whose reads count their scans of one index.
type scanCounter struct {
	store.Store
	index string
	scans atomic.Int64
}

func (c *scanCounter) View(ctx context.Context, region string, fn func(store.ReadTx) error) error {
	return c.Store.View(ctx, region, func(tx store.ReadTx) error { return fn(scanCountedTx{tx, c}) })
}

// since returns the scans counted since the last call.
func (c *scanCounter) since() int64 { return c.scans.Swap(0) }

type scanCountedTx struct {
	store.ReadTx
	c *scanCounter
}

func (t scanCountedTx) IndexScan(index, prefix string, fn func(key, value string) bool) {
	if index == t.c.index {
		t.c.scans.Add(1)
	}
	t.ReadTx.IndexScan(index, prefix, fn)
}

// TestProjectReadsComputeOverlapsOnlyWhenAsked: the overlap count of a
// project reads the territory index of each of its municipalities; Get,
// BatchGet and List compute it when the read mask answers it (or there is
// none), and a mask of names alone reads no territory index. Each read
// computed it for every project answered before.
func TestProjectReadsComputeOverlapsOnlyWhenAsked(t *testing.T) {
	s := &scanCounter{Store: bolttest.Open(t, t.TempDir(), bolt.Options{Regions: []string{"lombardia"}}), index: "project_territory"}
	munis, err := territory.LoadMunicipalitiesFile(municipalitiesFile)
	if err != nil {
		t.Fatal(err)
	}
	projects := registry.New(s, munis).Projects()
	ctx := admin(t.Context())
	var names []string
	for i := range 2 {
		p, err := projects.CreateProject(ctx, &famiv1.CreateProjectRequest{Parent: lombardia, ProjectId: fmt.Sprintf("p%d", i), Project: &famiv1.Project{
			Code: fmt.Sprintf("PROG-%d", i), Title: "Progetto", Fund: famiv1.Fund_FUND_FAMI_2021_2027,
			StartDate: "2023-01-01", EndDate: "2025-12-31", Municipalities: []string{"015146"}}})
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, p.GetName())
	}
	reads := map[string]func(*fieldmaskpb.FieldMask) ([]*famiv1.Project, error){
		"GetProject": func(mask *fieldmaskpb.FieldMask) ([]*famiv1.Project, error) {
			p, err := projects.GetProject(ctx, &famiv1.GetProjectRequest{Name: names[0], ReadMask: mask})
			return []*famiv1.Project{p}, err
		},
		"BatchGetProjects": func(mask *fieldmaskpb.FieldMask) ([]*famiv1.Project, error) {
			res, err := projects.BatchGetProjects(ctx, &famiv1.BatchGetProjectsRequest{Parent: lombardia, Names: names, ReadMask: mask})
			return res.GetProjects(), err
		},
		"ListProjects": func(mask *fieldmaskpb.FieldMask) ([]*famiv1.Project, error) {
			res, err := projects.ListProjects(ctx, &famiv1.ListProjectsRequest{Parent: lombardia, ReadMask: mask})
			return res.GetProjects(), err
		},
	}
	for method, read := range reads {
		for _, tt := range []struct {
			paths     []string
			wantScans bool
		}{
			{paths: nil, wantScans: true},
			{paths: []string{"name", "overlapCount"}, wantScans: true},
			{paths: []string{"name"}, wantScans: false},
			{paths: []string{"name", "title", "municipalities"}, wantScans: false},
		} {
			t.Run(fmt.Sprint(method, tt.paths), func(t *testing.T) {
				var mask *fieldmaskpb.FieldMask
				if tt.paths != nil {
					mask = &fieldmaskpb.FieldMask{Paths: tt.paths}
				}
				s.since()
				got, err := read(mask)
				if err != nil {
					t.Fatal(err)
				}
				if scans := s.since(); (scans > 0) != tt.wantScans {
					t.Errorf("territory index scans: %d; want some: %v", scans, tt.wantScans)
				}
				for _, p := range got {
					if p.GetName() == "" {
						t.Errorf("a project answered without its name: %v", p)
					}
					// Both projects are in Milano for the same years.
					if want := map[bool]int32{true: 1, false: 0}[tt.wantScans]; p.GetOverlapCount() != want {
						t.Errorf("%s: overlap_count %d, want %d", p.GetName(), p.GetOverlapCount(), want)
					}
				}
			})
		}
	}
}
