// Package admin implements fami.v1.AdminService: hot backups of a region's
// file and compaction of its change log.
package admin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/internal/aip"
)

// Store is what the service needs of the storage.
type Store interface {
	// Backup writes a consistent copy of region's file to w, calling start
	// with its revision and size before the first byte.
	Backup(ctx context.Context, region string, w io.Writer, start func(revision, size int64) error) error
	// Compact drops region's change log up to revision and returns how many
	// changes it dropped.
	Compact(ctx context.Context, region string, revision int64) (int64, error)
}

// chunkSize is the payload of one backup message, well under the 4 MiB
// default message limit of gRPC clients.
const chunkSize = 256 << 10

// Service implements fami.v1.AdminService for grpc-go; Connect returns the
// connect-go handler over the same logic.
type Service struct {
	famiv1.UnimplementedAdminServiceServer
	store Store
}

// New returns the service.
func New(s Store) *Service { return &Service{store: s} }

// region parses and checks the region a request names in field.
func region(field, name string) (string, error) {
	r, err := aip.ParseRegion(field, name)
	if err != nil {
		return "", err
	}
	return aip.Region(r)
}

// CompactChanges implements fami.v1.AdminService.
func (s *Service) CompactChanges(ctx context.Context, req *famiv1.CompactChangesRequest) (*famiv1.CompactChangesResponse, error) {
	r, err := region("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	removed, err := s.store.Compact(ctx, r, req.GetRevision())
	if err != nil {
		return nil, err
	}
	return &famiv1.CompactChangesResponse{CompactedRevision: req.GetRevision(), RemovedChanges: removed}, nil
}

// BackupRegion implements fami.v1.AdminService (grpc-go's signature, which
// the server adapts to connect-go).
func (s *Service) BackupRegion(req *famiv1.BackupRegionRequest, stream famiv1.AdminService_BackupRegionServer) error {
	return s.Backup(stream.Context(), req.GetName(), stream.Send)
}

// Backup streams the backup of the region named by name to send. It is
// also what the REST download and famictl use.
func (s *Service) Backup(ctx context.Context, name string, send func(*famiv1.BackupRegionResponse) error) error {
	r, err := region("name", name)
	if err != nil {
		return err
	}
	w := &chunker{send: send, hash: sha256.New()}
	err = s.store.Backup(ctx, r, w, func(revision, size int64) error {
		w.first = &famiv1.BackupRegionResponse{Revision: revision, Size: size}
		return nil
	})
	if err != nil {
		return err
	}
	if err := w.flush(); err != nil {
		return err
	}
	return send(&famiv1.BackupRegionResponse{Sha256: hex.EncodeToString(w.hash.Sum(nil))})
}

// chunker cuts the file into messages; the first carries the revision and
// size.
type chunker struct {
	send  func(*famiv1.BackupRegionResponse) error
	hash  hash.Hash
	first *famiv1.BackupRegionResponse
	buf   []byte
}

func (c *chunker) Write(p []byte) (int, error) {
	c.hash.Write(p)
	n := len(p)
	for len(p) > 0 {
		take := min(chunkSize-len(c.buf), len(p))
		c.buf = append(c.buf, p[:take]...)
		p = p[take:]
		if len(c.buf) == chunkSize {
			if err := c.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (c *chunker) flush() error {
	msg := &famiv1.BackupRegionResponse{}
	if c.first != nil {
		msg, c.first = c.first, nil
	}
	if len(c.buf) == 0 && msg.Revision == 0 && msg.Size == 0 {
		return nil
	}
	msg.Data = c.buf
	c.buf = make([]byte, 0, chunkSize)
	return c.send(msg)
}
