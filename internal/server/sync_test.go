package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"

	famiv1 "github.com/raccordo/raccordo/gen/fami/v1"
)

// feedSurface calls the SyncService and AdminService, streams included,
// on one surface: on gRPC, Connect and gRPC-Web everything through the
// surface's generated clients (streamFeed), on REST the streams as their
// downloads (restFeed). Errors come back as *callError like every
// surface's.
type feedSurface interface {
	ListChanges(ctx context.Context, r *famiv1.ListChangesRequest, opts ...grpc.CallOption) (*famiv1.ListChangesResponse, error)
	CompactChanges(ctx context.Context, r *famiv1.CompactChangesRequest, opts ...grpc.CallOption) (*famiv1.CompactChangesResponse, error)
	// WatchFirst opens a watch and returns its first response.
	WatchFirst(ctx context.Context, r *famiv1.WatchRequest) (*famiv1.WatchResponse, error)
	// Backup downloads a region's backup and returns its first message
	// (revision and size) with the whole file in Data.
	Backup(ctx context.Context, r *famiv1.BackupRegionRequest) (*famiv1.BackupRegionResponse, error)
}

func newFeedSurface(t *testing.T, ts *testServer, kind, token string) feedSurface {
	t.Helper()
	u := newSurfaceAs(t, ts, kind, token)
	if kind == "rest" {
		return restFeed{u, u.c.rest}
	}
	return streamFeed{u}
}

// streamFeed's streams are the surface's own: its generated clients open
// them on gRPC, Connect or gRPC-Web (rpcClient.NewStream).
type streamFeed struct{ surface }

func (f streamFeed) WatchFirst(ctx context.Context, r *famiv1.WatchRequest) (*famiv1.WatchResponse, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := f.Watch(ctx, r)
	if err != nil {
		return nil, err
	}
	return stream.Recv()
}

func (f streamFeed) Backup(ctx context.Context, r *famiv1.BackupRegionRequest) (*famiv1.BackupRegionResponse, error) {
	stream, err := f.BackupRegion(ctx, r)
	if err != nil {
		return nil, err
	}
	return joinBackup(stream.Recv)
}

// joinBackup reads a BackupRegion stream to its end: its first message
// (revision and size) with the whole file in Data. next returns the
// stream's next message, io.EOF after the last.
func joinBackup(next func() (*famiv1.BackupRegionResponse, error)) (*famiv1.BackupRegionResponse, error) {
	var first *famiv1.BackupRegionResponse
	var data []byte
	for {
		m, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if first == nil {
			first = m
		}
		data = append(data, m.GetData()...)
	}
	first.Data = data
	return first, nil
}

type restFeed struct {
	surface
	s *restSurface
}

// WatchFirst reads the first line of the newline-delimited JSON stream,
// {"result": WatchResponse}; a refused watch is a problem document with
// the error's HTTP status, as for any other REST call.
func (f restFeed) WatchFirst(ctx context.Context, r *famiv1.WatchRequest) (*famiv1.WatchResponse, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	path := "/v1/" + r.GetParent() + "/changes:watch"
	res, err := f.get(ctx, path, restQuery(r, "parent"))
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	line, err := bufio.NewReader(res.Body).ReadBytes('\n')
	if err != nil && len(line) == 0 {
		return nil, fmt.Errorf("watch: %v", err)
	}
	return watchLine(res, line)
}

// watchLine decodes one line of a REST watch: {"result": WatchResponse},
// or a problem document: the whole answer of a refused watch (with the
// error's HTTP status), or the last line of a watch cut short (the status
// is then in the document, the response's being 200).
func watchLine(res *http.Response, line []byte) (*famiv1.WatchResponse, error) {
	path := res.Request.URL.Path
	if res.StatusCode != http.StatusOK {
		return nil, problemError(http.MethodGet, path, &restResponse{Status: res.StatusCode, ContentType: res.Header.Get("Content-Type"), Header: res.Header, Body: line})
	}
	var chunk struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(line, &chunk); err != nil {
		return nil, fmt.Errorf("watch: %q: %v", line, err)
	}
	if chunk.Result == nil {
		var doc struct {
			Status int `json:"status"`
		}
		if err := json.Unmarshal(line, &doc); err != nil || doc.Status == 0 {
			return nil, fmt.Errorf("watch: %q: want a result line or a problem document (%v)", line, err)
		}
		return nil, problemError(http.MethodGet, path, &restResponse{Status: doc.Status, ContentType: "application/problem+json", Header: res.Header, Body: line})
	}
	out := &famiv1.WatchResponse{}
	return out, protojson.Unmarshal(chunk.Result, out)
}

// Backup downloads GET /v1/regions/{region}:backup.
func (f restFeed) Backup(ctx context.Context, r *famiv1.BackupRegionRequest) (*famiv1.BackupRegionResponse, error) {
	res, err := f.get(ctx, "/v1/"+r.GetName()+":backup", nil)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, problemError(http.MethodGet, r.GetName()+":backup", &restResponse{Status: res.StatusCode, ContentType: res.Header.Get("Content-Type"), Body: body, Header: res.Header})
	}
	rev, _ := strconv.ParseInt(res.Header.Get("X-Raccordo-Revision"), 10, 64)
	return &famiv1.BackupRegionResponse{Revision: rev, Size: int64(len(body)), Data: body}, nil
}

func (f restFeed) get(ctx context.Context, path string, q url.Values) (*http.Response, error) {
	u := f.s.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if f.s.token != "" {
		req.Header.Set("Authorization", "Bearer "+f.s.token)
	}
	return f.s.hc.Do(req)
}
