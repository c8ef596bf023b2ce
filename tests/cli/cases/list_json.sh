. "$(dirname "$0")/common.inc"
fixture 6.1.0-56-amd64-erased
img=6.1.0-56-amd64-erased.img
checksum_guard $img "$PSB" list --json --include-erased $img >out.json || exit $?
python3 - <<'PY'
import json
d = json.load(open("out.json"))
assert set(d) == {"source", "layout", "abi", "notes", "records", "damaged_zones", "summary"}, d.keys()
assert d["source"]["partition"]["name"] == "pstore"
assert d["layout"]["kmsg_size"] == 65536
for r in d["records"]:
    assert set(r) >= {"name", "type", "id", "offset", "state", "reason", "counter", "time",
                      "compressed", "size", "erased"}, r
states = sorted((r["name"], r["state"]) for r in d["records"])
print("\n".join(f"{n} {s}" for n, s in states))
PY
