"""The checker of a fault schedule: what must hold, from the history and the final state.

Inputs: the history (tests/chaos/workload.py: [thread, op, table, key, value, start, end,
outcome] lines, times on the system-wide monotonic clock), the final contents of both tables in
every region once the faults healed and the regions converged, and the clock uncertainty `u`:
the largest clock offset the schedule gave any region, plus the deployment's max offset (a
region's hybrid clock can be pushed ahead by that much by the batches it applies).

Last-writer-wins loses concurrent updates by design, so the checker says which losses are
allowed. Write W "could win over" write A unless W ended more than `u` before A began: then
every region stamped A after W (A's region had a clock at most `u` behind W's) and A must win.

Properties (each counted, each violation listed with its evidence):
  lost         an acknowledged write is missing: a unique key acknowledged but absent or with
               another value in some region; or a hot key whose final value comes from a write
               that could not win over an acknowledged one; or a hot key that is absent though
               no delete could win over every acknowledged write.
  resurrected  a hot key is present, but an acknowledged delete began more than `u` after
               the write whose value it holds ended.
  phantom      a region holds a value that no write that may have applied wrote (a refused
               write's value, or a value nobody sent), or a read returned one, or a read
               returned a value whose write began after the read ended.
  divergent    the regions' final contents differ.
  torn         a transaction's key holds different values in its two tables in some region.
It does not prove linearizability (the product promises eventual convergence under LWW, not
that), nor that every replica answered every read with the newest value.
"""
from collections import defaultdict

OK, FAIL, UNKNOWN = "ok", "fail", "unknown"


class Result:
    def __init__(self):
        self.counts = {"requests": 0, "acked_writes": 0, "reads": 0, "lost": 0,
                       "resurrected": 0, "phantom": 0, "divergent": 0, "torn": 0}
        self.violations = []

    def bad(self, kind, detail):
        self.counts[kind] += 1
        if len(self.violations) < 50:
            self.violations.append(f"{kind}: {detail}")

    @property
    def ok(self):
        return not self.violations


def _could_win(w, a, u):
    """Whether write w could be ordered after write a by last-writer-wins."""
    return not (w["end"] + u < a["start"])


def check(history, finals, u):
    """history: list of lines; finals: {region: {table: {key: value}}}; u: seconds."""
    res = Result()
    ops = [dict(zip(("thread", "op", "table", "key", "value", "start", "end", "outcome"), h))
           for h in history]
    res.counts["requests"] = len(ops)
    writes = defaultdict(list)   # (table, key) -> writes that may have applied
    reads = []
    for o in ops:
        if o["op"] == "get":
            res.counts["reads"] += 1
            reads.append(o)
            continue
        if o["outcome"] == OK:
            res.counts["acked_writes"] += 1
        if o["outcome"] == FAIL:
            continue
        tables = ("chaos_a", "chaos_b") if o["op"] == "tx" else (o["table"],)
        for t in tables:
            writes[(t, o["key"])].append(o)

    regions = sorted(finals)
    first = finals[regions[0]]
    for r in regions[1:]:
        for table in set(first) | set(finals[r]):
            a, b = first.get(table, {}), finals[r].get(table, {})
            if a != b:
                diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
                res.bad("divergent", f"{table} differs between {regions[0]} and {r} on "
                                     f"{len(diff)} keys, e.g. {diff[:3]}")

    for region in regions:
        state = finals[region]
        for (table, key), ws in writes.items():
            final = state.get(table, {}).get(key)
            _check_key(res, region, table, key, ws, final, u)
        # Values present that no write may have written.
        for table, items in state.items():
            for key, value in items.items():
                if (table, key) not in writes:
                    res.bad("phantom", f"{region} {table}/{key} = {value!r}: no write sent it")
        # Transactions: both tables or neither, with one value.
        keys = {k for (t, k) in writes if k.startswith("tx")}
        for key in keys:
            va = state.get("chaos_a", {}).get(key)
            vb = state.get("chaos_b", {}).get(key)
            if va != vb:
                res.bad("torn", f"{region} {key}: {va!r} in chaos_a, {vb!r} in chaos_b")

    for r in reads:
        if r["value"] is None:
            continue
        ws = [w for w in writes.get(("chaos_a", r["key"]), []) if w["value"] == r["value"]]
        if not ws:
            res.bad("phantom", f"read of {r['key']} by {r['thread']} returned {r['value']!r}, "
                               "which no write that may have applied sent")
        elif ws[0]["start"] > r["end"]:
            res.bad("phantom", f"read of {r['key']} by {r['thread']} returned {r['value']!r} "
                               "before its write began")
    return res


def _check_key(res, region, table, key, ws, final, u):
    acked = [w for w in ws if w["outcome"] == OK]
    unique = ws[0]["op"] in ("put", "ttl")
    if unique:
        w = ws[0]
        if final is None:
            expired_ok = w["op"] == "ttl"  # may have expired (a tenth are written expired)
            if w["outcome"] == OK and not expired_ok:
                res.bad("lost", f"{region} {table}/{key}: acknowledged write of {w['value']!r} "
                                "missing")
        elif final != w["value"]:
            res.bad("phantom", f"{region} {table}/{key} = {final!r}, written {w['value']!r}")
        return
    if final is None:
        deletes = [w for w in ws if w["value"] is None]
        if not acked:
            return
        if not any(all(_could_win(d, a, u) for a in acked if a is not d) for d in deletes):
            latest = max(acked, key=lambda a: a["start"])
            res.bad("lost", f"{region} {table}/{key} absent; acknowledged "
                            f"{latest['op']} of {latest['value']!r} by {latest['thread']} at "
                            f"{latest['start']:.3f} and no delete could win over it")
        return
    winners = [w for w in ws if w["value"] == final]
    if not winners:
        res.bad("phantom", f"{region} {table}/{key} = {final!r}: no write that may have "
                           "applied sent it")
        return
    w = winners[0]
    for a in acked:
        if a is w or _could_win(w, a, u):
            continue
        kind = "resurrected" if a["value"] is None else "lost"
        res.bad(kind, f"{region} {table}/{key} = {final!r} (written by {w['thread']} "
                      f"{w['start']:.3f}-{w['end']:.3f}) though {a['op']} of {a['value']!r} "
                      f"by {a['thread']} began at {a['start']:.3f}")
