package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
	"github.com/raccordo/raccordo/gen/fami/v1/famiv1connect"
	"github.com/raccordo/raccordo/internal/csvfile"
	"github.com/raccordo/raccordo/internal/errs"
	"github.com/raccordo/raccordo/internal/meetings"
	"github.com/raccordo/raccordo/internal/principal"
	"github.com/raccordo/raccordo/internal/support"
)

// Files are the REST faces of RPCs whose answer is a file the gateway's
// JSON mapping cannot express: the CSV export (ExportSupportEntries), the
// calendar feeds (ExportMeetingCalendar) and the backup (BackupRegion).
// Each is admitted by serveFile as its RPC, so a download gets what the
// same call gets on every other surface: authentication, the policy
// table's rule, the unary deadline (or, for a streaming RPC, the stream's
// handling), panic recovery, the log line, the metrics and the span.
//
// They are plain handlers rather than RPCs returning google.api.HttpBody:
// the gateway would buffer a whole HttpBody answer in memory, and a
// download needs HTTP itself (an ETag and 304 for calendar clients, a feed
// token in the query, a Content-Length for the backup's progress bar).

// file is one download as the pipeline admits it.
type file struct {
	// procedure is the RPC the download is the REST face of; its kind
	// (unary or server stream) decides the admission.
	procedure string
	// req is the RPC's request, for the policy table's rule.
	req proto.Message
	// caller, when set, identifies the caller instead of the
	// Authorization header (a calendar feed token).
	caller func() (principal.Principal, error)
	// write sends the file and reports whether it has started the
	// response: an error after that can only cut the response short.
	write func(ctx context.Context) (started bool, err error)
}

// serveFile runs a download through the pipeline as f.procedure. An error
// before the first byte is a problem document; one after it cuts the
// connection, so a client never mistakes a truncated file for a whole one.
func (p *pipeline) serveFile(w http.ResponseWriter, r *http.Request, f file) {
	c := call{procedure: f.procedure, protocol: surfaceREST, header: r.Header.Get, peer: hostOf(r.RemoteAddr), req: f.req, caller: f.caller, file: true}
	started := false
	write := func(ctx context.Context) error {
		var err error
		started, err = f.write(ctx)
		return err
	}
	var err error
	if serverStreaming(f.procedure) {
		err = p.stream(r.Context(), c, func(ctx context.Context, a admission) error {
			if err := a.authorize(f.req); err != nil {
				return err
			}
			return write(ctx)
		})
	} else {
		_, err = p.run(r.Context(), &c, func(ctx context.Context) (any, error) { return nil, write(ctx) })
	}
	switch {
	case err == nil:
	case started:
		panic(http.ErrAbortHandler)
	default:
		if err == errOverloaded {
			p.shed.settle(w, r) // a download reads no body: a refusal waits for none
		}
		st := callStatus(r.Context(), p.log, &c, err)
		writeStatusProblem(w, st)
	}
}

// serverStreaming reports whether procedure ("/fami.v1.AdminService/
// BackupRegion") is a server-streaming RPC. It panics on a procedure no
// service declares: a download must be the face of a real RPC.
func serverStreaming(procedure string) bool {
	stream, ok := streamingRPC(procedure)
	if !ok {
		panic("download of an unknown method " + procedure)
	}
	return stream
}

// streamingRPC reports whether procedure is a server-streaming RPC; ok is
// false for a procedure no service declares.
func streamingRPC(procedure string) (stream, ok bool) {
	service, method := splitProcedure(procedure)
	d, _ := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(service))
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return false, false
	}
	m := sd.Methods().ByName(protoreflect.Name(method))
	if m == nil {
		return false, false
	}
	return m.IsStreamingServer(), true
}

// queryRequest reads the query of a download's request r into req as the
// gateway reads an RPC's (startDate=2022-01-01,
// groupBy=SUPPORT_GROUP_BY_MONTH) and returns it: the fields in inPath come
// from the path and the query cannot set them; own are the download's
// parameters outside req (a calendar feed's token). Any other parameter is
// refused (unknownQuery), as on the gateway's routes, and the refusal
// recorded as a call of procedure (refuseREST).
func (p *pipeline) queryRequest(w http.ResponseWriter, r *http.Request, procedure string, req proto.Message, inPath []string, own ...string) (url.Values, bool) {
	start := arrival(r.Context())
	refuse := func(err error) (url.Values, bool) {
		p.refuseREST(w, r, procedure, err, start)
		return nil, false
	}
	all, err := readQuery(r.URL.RawQuery)
	if err != nil {
		return refuse(err)
	}
	md := req.ProtoReflect().Descriptor()
	takes := slices.Clone(own)
	for i := range md.Fields().Len() {
		if f := md.Fields().Get(i); !slices.Contains(inPath, string(f.Name())) {
			takes = append(takes, f.JSONName())
		}
	}
	err = unknownQuery(all, func(key string) bool {
		f, ok := queryField(md, key)
		top, _, _ := strings.Cut(f, ".")
		return slices.Contains(own, key) || (ok && !slices.Contains(inPath, top))
	}, takes)
	if err != nil {
		return refuse(err)
	}
	q := maps.Clone(all)
	for _, k := range own {
		delete(q, k)
	}
	var fields [][]string
	for _, f := range inPath {
		fields = append(fields, []string{f})
	}
	if err := runtime.PopulateQueryParameters(req, q, utilities.NewDoubleArray(fields)); err != nil {
		return refuse(status.Error(codes.InvalidArgument, err.Error()))
	}
	return all, true
}

// exportSupportCSV serves GET /v1/regions/{region}/supportEntries:export,
// the REST face of SupportService.ExportSupportEntries: the same rows as a
// CSV download (support.WriteCSV), every page of them within the one
// request's deadline.
func exportSupportCSV(pipe *pipeline, sup *support.Service) http.Handler {
	const procedure = famiv1connect.SupportServiceExportSupportEntriesProcedure
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := &famiv1.ExportSupportEntriesRequest{}
		if _, ok := pipe.queryRequest(w, r, procedure, req, []string{"parent"}); !ok {
			return
		}
		region := r.PathValue("region")
		req.Parent = "regions/" + region
		name := "support-entries-" + region + ".csv"
		if gb := req.GetGroupBy(); gb != famiv1.SupportGroupBy_SUPPORT_GROUP_BY_UNSPECIFIED {
			name = "support-summary-" + region + "-by-" + strings.ToLower(strings.TrimPrefix(gb.String(), "SUPPORT_GROUP_BY_")) + ".csv"
		}
		out := &csvfile.Download{W: w, Filename: name}
		pipe.serveFile(w, r, file{
			procedure: procedure,
			req:       req,
			write: func(ctx context.Context) (bool, error) {
				err := sup.WriteCSV(ctx, out, req)
				return out.Started(), err
			},
		})
	})
}

// meetingCalendar serves the iCalendar feeds, the REST face of
// MeetingService.ExportMeetingCalendar (the gateway cannot answer
// text/calendar): GET /v1/regions/{region}/meetings.ics,
// /v1/regions/{region}/networks/{network}/meetings.ics and
// /v1/regions/{region}/facilitators/{facilitator}/meetings.ics, with an
// optional startFrom query parameter (RFC 3339). The caller is identified
// either by the Authorization header or, since calendar clients cannot
// send headers, by a feed token (?token=..., see
// meetings.Service.FeedPrincipal), never both; the policy table's rule
// admits either alike. The answer carries an ETag, so a polling client
// gets 304 Not Modified while nothing changed.
func meetingCalendar(pipe *pipeline, mtg *meetings.Service) http.Handler {
	const procedure = famiv1connect.MeetingServiceExportMeetingCalendarProcedure
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		region := r.PathValue("region")
		req := &famiv1.ExportMeetingCalendarRequest{}
		// The path says whose feed it is: the query cannot override it.
		q, ok := pipe.queryRequest(w, r, procedure, req, []string{"parent", "network", "facilitator"}, "token")
		if !ok {
			return
		}
		token, withToken := q.Get("token"), q.Has("token")
		req.Parent = "regions/" + region
		if n := r.PathValue("network"); n != "" {
			req.Network = req.Parent + "/networks/" + n
		}
		req.Facilitator = r.PathValue("facilitator")
		f := file{procedure: procedure, req: req, write: func(ctx context.Context) (bool, error) {
			res, err := mtg.ExportMeetingCalendar(ctx, req)
			if err != nil {
				return false, err
			}
			writeCalendar(w, r, res)
			return true, nil
		}}
		if withToken {
			if r.Header.Get("Authorization") != "" {
				pipe.refuseREST(w, r, procedure, errs.InvalidField("token", "send a feed token or an Authorization header, not both"), start)
				return
			}
			f.caller = func() (principal.Principal, error) {
				who, err := mtg.FeedPrincipal(r.Context(), region, token)
				if err == nil {
					pipe.log.InfoContext(r.Context(), "feed token", "procedure", procedure, "principal", who.Subject, "role", string(who.Role))
				}
				return who, err
			}
		}
		pipe.serveFile(w, r, f)
	})
}

// writeCalendar answers with a calendar, or 304 when the client's
// If-None-Match names its ETag.
func writeCalendar(w http.ResponseWriter, r *http.Request, res *famiv1.ExportMeetingCalendarResponse) {
	sum := sha256.Sum256([]byte(res.GetCalendar()))
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	// The URL may carry a token: no shared cache keeps the feed.
	h.Set("Cache-Control", "private, no-cache")
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", res.GetContentType())
	h.Set("Content-Disposition", `inline; filename="`+res.GetFilename()+`"`)
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, res.GetCalendar())
}

// backupFile serves GET /v1/regions/{region}:backup, the REST face of
// AdminService.BackupRegion (a server stream, admitted as one): the
// region's file as a download with its length (for the browser's
// progress) and its revision in a header; famictl backup uses the RPC,
// which also checks the file's SHA-256.
func (s *Server) backupFile(pipe *pipeline) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		const procedure = famiv1connect.AdminServiceBackupRegionProcedure
		req := &famiv1.BackupRegionRequest{}
		if _, ok := pipe.queryRequest(w, r, procedure, req, []string{"name"}); !ok {
			return
		}
		req.Name = params["name"]
		region := strings.TrimPrefix(req.GetName(), "regions/")
		pipe.serveFile(w, r, file{
			procedure: procedure,
			req:       req,
			write: func(ctx context.Context) (bool, error) {
				defer cutOnStop(pipe.cut, w)()
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
			},
		})
	}
}
