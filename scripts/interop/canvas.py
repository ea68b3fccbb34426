"""Python Celery 5 builds every canvas of Celery's canvas guide that uses only JSON, sends it to
QUEUE and checks each value against Python's own: the value the same canvas gives when Python
runs it in-process (`.apply()`), or, where that differs by design (a failing chord member),
the exception a Python worker gives. Prints one JSON object: {case: {ok, value, expected}}.

  canvas.py QUEUE [CASE ...]      (broker and backend from CELERY_BROKER_URL / CELERY_RESULT_BACKEND)
  canvas.py --expected            Python's value of every case, nothing sent: {case: outcome}
"""
import datetime
import decimal
import json
import os
import sys
import traceback
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from celery import chain, chord, group, signature  # noqa: E402
from celery.result import AsyncResult, GroupResult  # noqa: E402

from pytasks import add, app, echo, fail, mul, xsum  # noqa: E402

TIMEOUT = float(os.environ.get("CANVAS_TIMEOUT", "30"))


def jsonable(v):
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time, decimal.Decimal, uuid.UUID)):
        return {"type": type(v).__name__, "repr": str(v)}
    return v


def outcome(fn):
    try:
        return {"value": jsonable(fn())}
    except Exception as exc:  # the task's own exception, rebuilt by Celery
        return {"error": type(exc).__name__, "module": type(exc).__module__, "message": str(exc)}


def cases():
    c = {}

    def same(name, build, get=lambda r: r.get(timeout=TIMEOUT)):
        c[name] = (lambda: get(build().apply_async()), lambda: get(build().apply()))

    # Canvas guide, "Signatures" and "The Primitives".
    same("chain", lambda: chain(add.s(2, 2), mul.s(4), add.s(1)))
    same("chain_or", lambda: add.s(2, 2) | mul.s(8) | mul.s(10))
    same("chain_parent", lambda: chain(add.s(4, 4), mul.s(8)), lambda r: [r.get(timeout=TIMEOUT), r.parent.get(timeout=TIMEOUT)])
    same("chain_640", lambda: chain(add.s(4, 4), mul.s(8), mul.s(10)))
    c["partial_delay"] = (lambda: add.s(2).delay(4).get(timeout=TIMEOUT), lambda: add.s(2).apply((4,)).get())
    same("signature_countdown", lambda: add.signature((2, 2), countdown=1))
    same("signature_options", lambda: add.s(2, 2).set(priority=5, expires=60, task_id=str(uuid.uuid4())))
    same("chord_100", lambda: chord((add.s(i, i) for i in range(100)), xsum.s()))
    same("immutable", lambda: add.si(2, 2) | add.si(4, 4) | add.si(8, 8))
    same("partial_kwargs", lambda: add.s(2, 2) | mul.s(y=3))
    same("group", lambda: group(add.s(i, i) for i in range(10)))
    same("group_results_ready", lambda: group(add.s(2, 2), add.s(4, 4)),
         lambda r: [r.get(timeout=TIMEOUT), r.ready(), r.successful(), r.completed_count()])
    same("chord", lambda: chord((add.s(i, i) for i in range(10)), xsum.s()))
    same("chord_implicit", lambda: group(add.s(i, i) for i in range(5)) | xsum.s())
    same("chain_ending_in_chord", lambda: add.s(2, 2) | chord([add.s(1), add.s(2)], xsum.s()))
    same("chord_in_chain_middle", lambda: chain(add.s(1, 1), chord([add.s(1), mul.s(3)], xsum.s()), mul.s(10)))
    same("chain_in_group", lambda: group(chain(add.s(1, 1), mul.s(2)), chain(add.s(2, 2), mul.s(3))))
    same("group_of_chords", lambda: group(chord([add.s(1, 1), add.s(2, 2)], xsum.s()), chord([add.s(3, 3)], xsum.s())))
    same("chord_chain_body", lambda: chord([add.s(1, 1), add.s(2, 2)], xsum.s() | mul.s(2)))
    same("group_then_chain", lambda: add.s(1, 1) | group(add.s(1), add.s(2)))
    same("nested_groups", lambda: group(group(add.s(1, 1), add.s(2, 2)), add.s(3, 3)))
    same("empty_header_chord", lambda: chord([], xsum.s()))
    same("starmap", lambda: add.starmap([(2, 2), (4, 4)]))
    same("map", lambda: xsum.map([[1, 2], [3, 4, 5]]))
    same("chunks", lambda: add.chunks(zip(range(10), range(10)), 3).group())
    same("echo_types", lambda: echo.s([datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
                                        datetime.date(2026, 1, 2), decimal.Decimal("1.25"),
                                        uuid.UUID("12345678-1234-5678-1234-567812345678")]))

    def link():
        cb = mul.s(10).set(task_id=str(uuid.uuid4()))
        r = add.apply_async((2, 2), link=cb)
        v = r.get(timeout=TIMEOUT)
        kids = [k.id for k in (r.children or [])]
        return [v, cb.id in kids, AsyncResult(cb.id).get(timeout=TIMEOUT)]
    c["link_children"] = (link, lambda: [4, True, 40])

    def link_error():
        eb = echo.s().set(task_id=str(uuid.uuid4()))
        r = fail.apply_async(("boom",), link_error=eb)
        failed = outcome(lambda: r.get(timeout=TIMEOUT))
        return [failed.get("error"), AsyncResult(eb.id).get(timeout=TIMEOUT) == r.id]
    c["link_error_old_style"] = (link_error, lambda: ["RuntimeError", True])

    def chain_failure():
        r = chain(add.s(1, 1), fail.si("boom"), add.s(1)).apply_async()
        return outcome(lambda: r.get(timeout=TIMEOUT))
    c["chain_failure_marks_rest"] = (chain_failure, lambda: {"error": "RuntimeError", "module": "builtins", "message": "boom"})

    def chord_failure():
        # r.get() re-raises the failed header member first (Celery follows the parents); the
        # body itself is stored as ChordError.
        r = chord([add.s(1, 1), fail.si("boom")], xsum.s()).apply_async()
        first = outcome(lambda: r.get(timeout=TIMEOUT))
        body = outcome(lambda: AsyncResult(r.id).get(timeout=TIMEOUT))
        # "Dependency <id> raised RuntimeError('boom')" from Redis' join; chord_unlock on
        # MongoDB cannot name the member and stores "RuntimeError('boom')".
        body["message"] = "RuntimeError('boom')" in body.get("message", "")
        return [first, body]
    c["chord_member_fails"] = (chord_failure, lambda: [
        {"error": "RuntimeError", "module": "builtins", "message": "boom"},
        {"error": "ChordError", "module": "celery.exceptions", "message": True}])

    def chord_errback():
        eb = echo.s().set(task_id=str(uuid.uuid4()))
        r = chord([fail.si("boom")], xsum.s().on_error(eb)).apply_async()
        outcome(lambda: r.get(timeout=TIMEOUT))
        return AsyncResult(eb.id).get(timeout=TIMEOUT) == r.id
    c["chord_body_errback"] = (chord_errback, lambda: True)

    def group_ids():
        g = group(add.s(1, 1), add.s(2, 2)).apply_async()
        g.get(timeout=TIMEOUT)
        coll = getattr(app.backend, "collection", None)  # MongoDB: read the documents themselves
        metas = [coll.find_one({"_id": r.id}) if coll is not None else app.backend.get_task_meta(r.id) for r in g.results]
        return [m.get("group_id") == g.id for m in metas]
    c["group_id_stored"] = (group_ids, lambda: [True, True])

    def saved_group():
        g = group(add.s(5, 5), add.s(6, 6)).apply_async()
        g.save()
        restored = GroupResult.restore(g.id)
        # Celery's MongoDB backend restores a plain list of results, the others a GroupResult.
        members = restored if isinstance(restored, list) else restored.results
        return [m.get(timeout=TIMEOUT) for m in members]
    c["group_save_restore"] = (saved_group, lambda: [10, 12])

    c["accumulate"] = (lambda: app.send_task("celery.accumulate", args=[1, 2, 3], kwargs={"index": 1}).get(timeout=TIMEOUT), lambda: 2)
    c["backend_cleanup"] = (lambda: app.send_task("celery.backend_cleanup").get(timeout=TIMEOUT), lambda: None)
    return c


def main(argv):
    if argv[1] == "--expected":
        print(json.dumps({name: outcome(expected) for name, (_, expected) in cases().items()}))
        return
    app.conf.task_default_queue = argv[1]
    wanted = set(argv[2:])
    out = {}
    for name, (remote, expected) in cases().items():
        if wanted and name not in wanted:
            continue
        got = outcome(remote)
        want = outcome(expected)
        out[name] = {"ok": got == want, "value": got, "expected": want}
        if got != want and "error" in got:
            out[name]["trace"] = traceback.format_exc(limit=2)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv)
    sys.stdout.flush()
    os._exit(0)
