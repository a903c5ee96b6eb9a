package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestSizesAndDurations parses sizes and durations from the environment,
// as an operator writes them, and refuses what is not one, naming the
// setting.
func TestSizesAndDurations(t *testing.T) {
	for _, tt := range []struct {
		env, value string
		want       int // MaxMessageBytes; 0 when the value must be refused
	}{
		{"FAMID_MAX_MESSAGE_BYTES", "4MB", 4_000_000},
		{"FAMID_MAX_MESSAGE_BYTES", "4MiB", 4 << 20},
		{"FAMID_MAX_MESSAGE_BYTES", "512KiB", 512 << 10},
		{"FAMID_MAX_MESSAGE_BYTES", "4194304", 4 << 20},
		{"FAMID_MAX_MESSAGE_BYTES", "4", 0}, // 4 bytes: surely a forgotten unit
		{"FAMID_MAX_MESSAGE_BYTES", "4XB", 0},
		{"FAMID_MAX_MESSAGE_BYTES", "-4MB", 0},
		{"FAMID_MAX_MESSAGE_BYTES", "2GiB", 0},
	} {
		t.Run(tt.env+"="+tt.value, func(t *testing.T) {
			t.Setenv(tt.env, tt.value)
			o, err := parseOptions(nil, io.Discard)
			if tt.want == 0 {
				if err == nil || !strings.Contains(err.Error(), tt.env) || !strings.Contains(err.Error(), "max-message-bytes") {
					t.Fatalf("got %v, want a refusal naming %s and max-message-bytes", err, tt.env)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := o.server.MaxMessageBytes; got != tt.want {
				t.Errorf("got %d bytes, want %d", got, tt.want)
			}
		})
	}
	for _, tt := range []struct {
		value string
		want  time.Duration
	}{{"30s", 30 * time.Second}, {"1m30s", 90 * time.Second}, {"30", 0}, {"-5s", 0}, {"soon", 0}} {
		t.Run("FAMID_REQUEST_TIMEOUT="+tt.value, func(t *testing.T) {
			t.Setenv("FAMID_REQUEST_TIMEOUT", tt.value)
			o, err := parseOptions(nil, io.Discard)
			if tt.want == 0 {
				if err == nil || !strings.Contains(err.Error(), "FAMID_REQUEST_TIMEOUT") {
					t.Fatalf("got %v, want a refusal naming FAMID_REQUEST_TIMEOUT", err)
				}
				return
			}
			if err != nil || o.server.RequestTimeout != tt.want {
				t.Errorf("got %v, %v; want %v", o, err, tt.want)
			}
		})
	}
}

// TestListenersOff turns the optional listeners off from each source an
// operator may use. An empty FAMID_* variable counts as unset (so the
// metrics listener stays on its default), which is why "off" exists.
func TestListenersOff(t *testing.T) {
	for _, tt := range []struct {
		name        string
		args        []string
		env         string // FAMID_METRICS_ADDR, set when not "-"
		wantMetrics string
	}{
		{"default", nil, "-", "127.0.0.1:9464"},
		{"flag empty", []string{"--metrics-addr", ""}, "-", ""},
		{"flag off", []string{"--metrics-addr", "off"}, "-", ""},
		{"env off", nil, "off", ""},
		{"env empty is unset", nil, "", "127.0.0.1:9464"},
		{"env address", nil, "127.0.0.1:9999", "127.0.0.1:9999"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != "-" {
				t.Setenv("FAMID_METRICS_ADDR", tt.env)
			}
			t.Setenv("FAMID_ADMIN_ADDR", "off")
			o, err := parseOptions(tt.args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if o.server.MetricsAddr != tt.wantMetrics || o.server.AdminAddr != "" {
				t.Errorf("metrics %q, admin %q; want metrics %q, admin off", o.server.MetricsAddr, o.server.AdminAddr, tt.wantMetrics)
			}
		})
	}
}

// TestConfigFile reads a config file and checks the precedence: flags over
// the environment over the file.
func TestConfigFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "famid.conf")
	conf := "# famid\nmax-message-bytes 8MiB\nrequest-timeout 45s\ndata-dir /srv/famid\ncors-origin https://a.example,https://b.example\n"
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FAMID_REQUEST_TIMEOUT", "50s")
	o, err := parseOptions([]string{"--config", file, "--data-dir", "/var/lib/famid"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c := o.server
	if c.MaxMessageBytes != 8<<20 || c.RequestTimeout != 50*time.Second || c.DataDir != "/var/lib/famid" || strings.Join(c.CORSOrigins, " ") != "https://a.example https://b.example" {
		t.Errorf("got max %d, timeout %v, data dir %q, origins %q; want 8MiB from the file, 50s from the environment, the flag's dir, the file's origins",
			c.MaxMessageBytes, c.RequestTimeout, c.DataDir, c.CORSOrigins)
	}

	if err := os.WriteFile(file, []byte("max-message-bytes 4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := parseOptions([]string{"--config", file}, io.Discard); err == nil || !strings.Contains(err.Error(), "max-message-bytes") {
		t.Errorf("a bad size in the file: got %v, want a refusal naming max-message-bytes", err)
	}
	if err := os.WriteFile(file, []byte("max-mesage-bytes 4MB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := parseOptions([]string{"--config", file}, io.Discard); err == nil || !strings.Contains(err.Error(), "max-mesage-bytes") {
		t.Errorf("a misspelt setting in the file: got %v, want a refusal naming it", err)
	}
	if _, err := parseOptions([]string{"--cors-origin", "https://portale.example/app"}, io.Discard); err == nil || !strings.Contains(err.Error(), "cors-origin") {
		t.Errorf("an origin with a path: got %v, want a refusal naming cors-origin", err)
	}
	for _, bad := range []string{"dati.example.it", "ftp://dati.example.it", "https://dati.example.it/opendata", "https://dati.example.it?x=1"} {
		if _, err := parseOptions([]string{"--opendata-url", bad}, io.Discard); err == nil || !strings.Contains(err.Error(), "opendata-url") {
			t.Errorf("--opendata-url %s: got %v, want a refusal naming opendata-url", bad, err)
		}
	}
	t.Setenv("FAMID_OPENDATA_URL", "https://dati.example.it")
	if o, err := parseOptions(nil, io.Discard); err != nil || o.server.OpenData.PublicURL != "https://dati.example.it" {
		t.Errorf("FAMID_OPENDATA_URL: got %v, error %v; want the catalogue's links on https://dati.example.it", o, err)
	}
	if _, err := parseOptions([]string{"--config", filepath.Join(t.TempDir(), "missing.conf")}, io.Discard); err == nil || !strings.Contains(err.Error(), "--config") {
		t.Errorf("a missing config file: %v, want it refused naming --config", err)
	}
}

func TestVersionAndHelp(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), context.Background(), []string{"--version"}, &out, io.Discard); err != nil {
		t.Fatalf("--version: %v", err)
	}
	if got := out.String(); !strings.HasPrefix(got, "famid ") || !strings.Contains(got, runtime.Version()) {
		t.Errorf("--version printed %q, want famid's version and %s", got, runtime.Version())
	}
	var help bytes.Buffer
	if err := run(context.Background(), context.Background(), []string{"-h"}, io.Discard, &help); err != nil {
		t.Errorf("-h: %v, want nil", err)
	}
	for _, want := range []string{"FAMID_MAX_MESSAGE_BYTES", "-max-message-bytes", "-admin-addr", "-metrics-addr", "-cors-origin", "-config"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("-h does not mention %s:\n%s", want, help.String())
		}
	}
}

// TestMetricsOnLoopbackByDefault: with no setting, famid serves its
// metrics, on a loopback address only.
func TestMetricsOnLoopbackByDefault(t *testing.T) {
	o, err := parseOptions(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	host, _, err := net.SplitHostPort(o.server.MetricsAddr)
	if err != nil {
		t.Fatalf("--metrics-addr default %q: %v", o.server.MetricsAddr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		t.Errorf("--metrics-addr default %q, want a loopback address", o.server.MetricsAddr)
	}
}

// TestFlagsDocumented: docs/operations.md's configuration table names
// every flag famid has, and nothing famid does not have, so that the table
// an operator reads cannot drift from -h.
func TestFlagsDocumented(t *testing.T) {
	var help bytes.Buffer
	if err := run(context.Background(), context.Background(), []string{"-h"}, io.Discard, &help); err != nil {
		t.Fatal(err)
	}
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z][a-z0-9-]*)`).FindAllStringSubmatch(help.String(), -1) {
		flags[m[1]] = true
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, row := range regexp.MustCompile("(?m)^\\| `--.*$").FindAllString(string(doc), -1) {
		first, _, _ := strings.Cut(strings.TrimPrefix(row, "| "), " |")
		for _, m := range regexp.MustCompile("`--([a-z][a-z0-9-]*)`").FindAllStringSubmatch(first, -1) {
			documented[m[1]] = true
		}
	}
	if len(flags) < 20 || len(documented) < 20 {
		t.Fatalf("found %d flags in -h and %d in docs/operations.md: the patterns no longer match", len(flags), len(documented))
	}
	for f := range flags {
		if !documented[f] {
			t.Errorf("--%s is not in docs/operations.md's configuration table", f)
		}
	}
	for f := range documented {
		if !flags[f] {
			t.Errorf("docs/operations.md documents --%s, which famid does not have", f)
		}
	}
}
