package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/protobuf/proto"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
)

// serveHTTP runs a plain HTTP handler (a file download, which the gateway's
// JSON mapping cannot express) as the RPC procedure with request req,
// through the same pipeline as every other call. fn reports whether it has
// started writing the response: an error after that can only cut it short.
func (p *pipeline) serveHTTP(w http.ResponseWriter, r *http.Request, procedure string, req proto.Message, fn func(ctx context.Context) (started bool, err error)) {
	c := call{procedure: procedure, protocol: "rest", header: r.Header.Get, peer: hostOf(r.RemoteAddr), req: req}
	started := false
	err := p.stream(r.Context(), c, func(ctx context.Context, a admission) error {
		if err := a.authorize(req); err != nil {
			return err
		}
		var err error
		started, err = fn(ctx)
		return err
	})
	if err != nil && !started {
		st := toStatus(r.Context(), p.log, procedure, err)
		writeProblem(w, problemFromStatus(st), retryInfo(st))
	}
}

// backupHandler serves GET /v1/regions/{region}:backup, the REST face of
// AdminService.BackupRegion: the region's file as a download with its
// length (for the browser's progress) and its revision in a header; famictl
// backup uses the RPC, which also checks the file's SHA-256. Other requests
// of the same pattern (GetRegion) go on to the gateway.
func (s *Server) backupHandler(pipe *pipeline, gateway http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		region, ok := strings.CutSuffix(r.PathValue("region"), ":backup")
		if !ok || region == "" {
			gateway.ServeHTTP(w, r)
			return
		}
		req := &famiv1.BackupRegionRequest{Name: "regions/" + region}
		pipe.serveHTTP(w, r, famiv1connect.AdminServiceBackupRegionProcedure, req, func(ctx context.Context) (bool, error) {
			started := false
			err := s.admin.Backup(ctx, req.GetName(), func(m *famiv1.BackupRegionResponse) error {
				if !started {
					started = true
					h := w.Header()
					h.Set("Content-Type", "application/octet-stream")
					h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%d.db"`, region, m.GetRevision()))
					h.Set("Content-Length", fmt.Sprint(m.GetSize()))
					h.Set("X-Raccordo-Revision", fmt.Sprint(m.GetRevision()))
					w.WriteHeader(http.StatusOK)
				}
				_, err := w.Write(m.GetData())
				return err
			})
			return started, err
		})
	})
}
