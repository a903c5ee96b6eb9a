package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// TestReadyFile starts famid on port 0 everywhere with --ready-file: the
// file names famid's pid and the ports it bound, each of which serves
// what its listener is for, and it is gone after a clean stop.
func TestReadyFile(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := readyPath(t)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, context.Background(), []string{"--data-dir", t.TempDir(), "--grpc-addr", loopback0, "--http-addr", loopback0, "--metrics-addr", loopback0,
			"--admin-addr", loopback0, "--ready-file", path, "--log-level", "error"}, io.Discard, io.Discard)
	}()
	bound := waitReady(t, path, done)
	if bound.PID != os.Getpid() {
		t.Errorf("pid %d, want %d", bound.PID, os.Getpid())
	}
	for name, addr := range map[string]string{"grpc": bound.GRPCAddr, "http": bound.HTTPAddr, "metrics": bound.MetricsAddr, "admin": bound.AdminAddr} {
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host != "127.0.0.1" || port == "0" {
			t.Errorf("%s address %q: want 127.0.0.1 and the port bound (%v)", name, addr, err)
		}
	}
	for _, url := range []string{"http://" + bound.HTTPAddr + "/readyz", "http://" + bound.MetricsAddr + "/metrics", "http://" + bound.AdminAddr + "/debug/pprof/"} {
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s, want 200", url, res.Status)
		}
	}
	conn, err := grpc.NewClient(bound.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if res, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil || res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("gRPC health on %s: %v, %v; want SERVING", bound.GRPCAddr, res.GetStatus(), err)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run returned %v after shutdown, want nil", err)
	}
	// The ready file's directory holds nothing: the file is removed, and
	// its temporary was renamed, not left behind.
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("after a clean stop the ready file's directory holds %v, want nothing", entries)
	}
}

// TestReadyFileUnwritable: a ready file famid cannot write stops the
// start with an error naming the flag, and what the start acquired is let
// go: a famid on the same data dir starts after it.
func TestReadyFileUnwritable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(t.TempDir(), "missing", "ready.json")
	err := run(context.Background(), context.Background(), []string{"--data-dir", dir, "--grpc-addr", loopback0, "--http-addr", loopback0, "--metrics-addr", "",
		"--ready-file", path, "--log-level", "error"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--ready-file") {
		t.Fatalf("run with an unwritable ready file: %v, want an error naming --ready-file", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, done := serve(t, ctx, []string{"--data-dir", dir, "--lock-timeout", "200ms", "--log-level", "error"}, io.Discard)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("famid on the data dir after the failed start: %v", err)
	}
}
