package telemetry_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/raccordo/raccordo/internal/telemetry"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestTracingIsOffByDefault(t *testing.T) {
	for _, vars := range []map[string]string{{}, {"OTEL_TRACES_EXPORTER": "none"}} {
		tp, err := telemetry.TracerProvider(t.Context(), env(vars), "test")
		if tp != nil || err != nil {
			t.Errorf("%v: got %v, %v; want no provider", vars, tp, err)
		}
	}
}

func TestRefusedSettingsNameTheVariable(t *testing.T) {
	for _, tt := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER"},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, "OTEL_EXPORTER_OTLP_PROTOCOL"},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "udp"}, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"},
	} {
		_, err := telemetry.TracerProvider(t.Context(), env(tt.vars), "test")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: got %v, want an error naming %s", tt.vars, err, tt.want)
		}
	}
}

// TestOTLPExport exports a span to a loopback OTLP/HTTP receiver, found
// through the standard OTEL_EXPORTER_OTLP_ENDPOINT.
func TestOTLPExport(t *testing.T) {
	var posts atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/traces" {
			posts.Add(1)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer recv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", recv.URL)
	tp, err := telemetry.TracerProvider(t.Context(), env(map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}), "test")
	if err != nil || tp == nil {
		t.Fatalf("got %v, %v; want a provider", tp, err)
	}
	_, span := tp.Tracer("test").Start(t.Context(), "one span")
	span.End()
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if posts.Load() == 0 {
		t.Error("the receiver got no POST /v1/traces")
	}
}
