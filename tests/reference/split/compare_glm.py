"""Compares peil glm's coefficients and standard errors (--json, model-based
and clustered on rin) with R's for one model of an expected NAME_glm.csv
(split_reference.R): the same terms, each estimate and SE within a relative
1e-6. Standard library only.

    compare_glm.py EXPECTED.csv 'event ~ ...' MODEL.json CLUSTER.json
"""
import csv
import json
import sys

TOL = 1e-6


def close(got, want):
    return abs(got - want) <= TOL * max(abs(want), 1e-300)


def main(expected, model, plain_json, cluster_json):
    want = [r for r in csv.DictReader(open(expected)) if r["model"] == model]
    if not want:
        sys.exit("%s has no model '%s'" % (expected, model))
    plain = {c["term"]: c for c in json.load(open(plain_json))["coefficients"]}
    clust = {c["term"]: c for c in json.load(open(cluster_json))["coefficients"]}
    bad = []
    if set(plain) != {r["term"] for r in want}:
        bad.append("terms: peil %s, R %s" % (sorted(plain), sorted(r["term"] for r in want)))
    for r in want:
        t = r["term"]
        if t not in plain or t not in clust:
            continue
        for what, got, exp in (("estimate", plain[t]["estimate"], r["estimate"]),
                               ("std_error", plain[t]["std_error"], r["std_error"]),
                               ("std_error (cluster rin)", clust[t]["std_error"], r["std_error_cluster"])):
            if got is None or not close(got, float(exp)):
                bad.append("%s %s: peil %r, R %s" % (t, what, got, exp.strip()))
    if bad:
        sys.exit("%s, %s:\n  %s" % (expected, model, "\n  ".join(bad)))


if __name__ == "__main__":
    main(*sys.argv[1:5])
