#!/usr/bin/env bash
# Checks the opt-in products: what each library target pulls in (from `swift package describe`)
# and what the Redis-only example worker links (ldd, nm), and that no built program links
# libmongoc (it is loaded with dlopen). Exits non-zero on a violation.
#   scripts/check-products.sh            # target graph + link line of the built example
#   BUILD=1 scripts/check-products.sh    # builds the example first
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/deps.sh
ensure_build_deps
bin="${CELERY_BIN_DIR:-.build/debug}"
if [ "${BUILD:-0}" = 1 ] || [ ! -x "$bin/celery-redis-worker-example" ]; then
  swift build --product celery-redis-worker-example
fi
swift package describe --type json > "${TMPDIR:-/tmp}/celery-describe.json"
python3 - "${TMPDIR:-/tmp}/celery-describe.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
targets = {t["name"]: t for t in d["targets"]}
def closure(name):
    seen, todo = set(), [name]
    while todo:
        n = todo.pop()
        if n in seen: continue
        seen.add(n)
        t = targets.get(n)
        if t: todo += t.get("target_dependencies", [])
    prods = set()
    for n in seen:
        t = targets.get(n)
        if t: prods |= set(t.get("product_dependencies", []))
    return seen, prods
rules = {
    # target: (targets it must not reach, products it must not reach)
    "Celery": ({"CeleryRedis", "CeleryRabbitMQ", "CeleryMongo", "CMongoC", "RESP", "AMQP091"}, {"Hummingbird"}),
    "CeleryRedis": ({"CeleryMongo", "CMongoC", "AMQP091", "CeleryRabbitMQ"}, {"Hummingbird"}),
    "CeleryRabbitMQ": ({"CeleryMongo", "CMongoC", "RESP", "CeleryRedis"}, {"Hummingbird"}),
    "CeleryMongo": ({"AMQP091", "RESP"}, {"Hummingbird"}),
    "CeleryCommands": ({"CeleryRedis", "CeleryRabbitMQ", "CeleryMongo", "CMongoC", "RESP", "AMQP091"}, {"Hummingbird"}),
    "celery-redis-worker-example": ({"CeleryMongo", "CMongoC", "AMQP091", "CeleryRabbitMQ"}, {"Hummingbird"}),
    "celery-worker": (set(), {"Hummingbird"}),
}
bad = 0
for t, (no_targets, no_products) in rules.items():
    reach, prods = closure(t)
    hit = (reach & no_targets) | (prods & no_products)
    print(f"{t:30} depends on {len(reach) - 1} targets" + (f"  VIOLATION: {sorted(hit)}" if hit else "  ok"))
    bad += bool(hit)
sys.exit(1 if bad else 0)
PY
ex="$bin/celery-redis-worker-example"
if ldd "$ex" | grep -Eq 'libmongoc|libbson'; then echo "VIOLATION: $ex links libmongoc/libbson"; ldd "$ex"; exit 1; fi
n=$(nm "$ex" | grep -c '7AMQP091' || true)
if [ "$n" != 0 ]; then echo "VIOLATION: $ex holds $n AMQP091 symbols"; exit 1; fi
echo "celery-redis-worker-example: no libmongoc/libbson in ldd, no AMQP091 symbols: ok"
# Every program loads libmongoc with dlopen on the first mongodb:// URL: none may link it.
for exe in celery-worker celery-beat celery-admin celery-dashboard; do
  [ -x "$bin/$exe" ] || continue
  if ldd "$bin/$exe" | grep -Eq 'libmongoc|libbson'; then echo "VIOLATION: $bin/$exe links libmongoc/libbson"; exit 1; fi
  echo "$exe: no libmongoc/libbson in ldd (loaded on first mongodb:// URL): ok"
done
