// Package telemetry builds the OpenTelemetry tracer provider famid traces
// with, from the standard OTEL_* environment variables. Tracing is off
// unless OTEL_TRACES_EXPORTER says otherwise: a server nobody collects
// spans from should not spend time making them.
package telemetry

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// TracerProvider returns the provider the environment asks for, or nil
// when tracing is off (OTEL_TRACES_EXPORTER unset or "none").
//
// OTEL_TRACES_EXPORTER=otlp exports with OTLP over
// OTEL_EXPORTER_OTLP_TRACES_PROTOCOL or OTEL_EXPORTER_OTLP_PROTOCOL:
// "http/protobuf" (the default) or "grpc". The OpenTelemetry SDK reads the
// rest itself: the endpoint, headers and timeout (OTEL_EXPORTER_OTLP_*),
// the sampler (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG), the batch
// processor's limits (OTEL_BSP_*), the service name and resource
// attributes (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES). Any other
// exporter or protocol is refused, naming the variable. The caller shuts
// the provider down, which flushes the spans still queued.
func TracerProvider(ctx context.Context, getenv func(string) string, version string) (*sdktrace.TracerProvider, error) {
	switch e := getenv("OTEL_TRACES_EXPORTER"); e {
	case "", "none":
		return nil, nil
	case "otlp":
	default:
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER=%q: famid exports traces with \"otlp\" (or \"none\")", e)
	}
	protoVar, protocol := "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if protocol == "" {
		protoVar, protocol = "OTEL_EXPORTER_OTLP_PROTOCOL", getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	var (
		exp sdktrace.SpanExporter
		err error
	)
	switch protocol {
	case "", "http/protobuf":
		exp, err = otlptracehttp.New(ctx)
	case "grpc":
		exp, err = otlptracegrpc.New(ctx)
	default:
		return nil, fmt.Errorf("%s=%q: want \"http/protobuf\" or \"grpc\"", protoVar, protocol)
	}
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "famid"), attribute.String("service.version", version)),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
	)
	if err != nil {
		return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}
