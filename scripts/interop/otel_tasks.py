"""Trace-context interop with opentelemetry-instrumentation-celery (Python side).

As a Celery app (`celery -A otel_tasks worker --pool solo -Q QUEUE`): pytasks' app and tasks,
instrumented; the worker's finished spans are appended as JSON lines to $OTEL_SPANS_FILE.

As a script (`python otel_tasks.py send QUEUE X Y`): an instrumented producer that sends
tasks.add(X, Y) to QUEUE and prints one JSON line with the task id and the trace and span ids
of its `apply_async/tasks.add` span (hex, as W3C traceparent writes them).

Broker and backend come from CELERY_BROKER_URL and CELERY_RESULT_BACKEND; JSON only.
"""
import json
import os
import sys

from opentelemetry import trace
from opentelemetry.instrumentation.celery import CeleryInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


def span_record(span):
    parent = span.parent
    return {
        "name": span.name,
        "kind": span.kind.name,
        "trace_id": format(span.context.trace_id, "032x"),
        "span_id": format(span.context.span_id, "016x"),
        "parent_span_id": format(parent.span_id, "016x") if parent is not None else None,
        "attributes": {k: (v if isinstance(v, (str, int, float, bool)) else str(v)) for k, v in span.attributes.items()},
    }


class JSONLinesExporter(SpanExporter):
    """Appends each finished span to a file, one JSON object a line."""

    def __init__(self, path):
        self.path = path

    def export(self, spans):
        with open(self.path, "a", encoding="utf-8") as f:
            for s in spans:
                f.write(json.dumps(span_record(s)) + "\n")
        return SpanExportResult.SUCCESS

    def shutdown(self):
        pass


memory = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(memory))
if os.environ.get("OTEL_SPANS_FILE"):
    provider.add_span_processor(SimpleSpanProcessor(JSONLinesExporter(os.environ["OTEL_SPANS_FILE"])))
trace.set_tracer_provider(provider)
CeleryInstrumentor().instrument(tracer_provider=provider)

# The reference app and its tasks (tasks.add …), instrumented above.
from pytasks import add, app  # noqa: E402  (after the instrumentation, as its README asks)


def send(queue, x, y):
    result = add.apply_async((x, y), queue=queue)
    spans = [s for s in memory.get_finished_spans() if s.name == "apply_async/tasks.add"]
    if not spans:
        print(json.dumps({"error": "no apply_async span was recorded"}))
        return 1
    record = span_record(spans[-1])
    print(json.dumps({"task_id": result.id, "trace_id": record["trace_id"], "span_id": record["span_id"]}))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "send":
        sys.exit(send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    print("usage: otel_tasks.py send QUEUE X Y", file=sys.stderr)
    sys.exit(64)
