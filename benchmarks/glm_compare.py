#!/usr/bin/python3
"""Helpers of benchmarks/glm_logit.sh.

    glm_compare.py compare REF.csv CAND.(csv|json) [--tol 1e-6] [--label NAME]
                   [--ref-label NAME]
        Coefficients and standard errors of CAND against REF (R's, from
        glm_logit.R), term by term. CAND is a CSV with term, estimate,
        std_error (glm_logit.R, glm_logit.py) or peil's JSON (the first array
        named "coefficients" anywhere in the document, rows with term,
        estimate, std_error). Differences are relative: an estimate's to
        max(|R's estimate|, R's SE) (an estimate within one SE of zero has no
        relative precision to speak of), an SE's to R's SE. Prints one line
        and exits 1 when a term is missing or extra or a difference exceeds
        the tolerance.

    glm_compare.py table RESULTS.tsv
        The Markdown table of the run from the rows glm_logit.sh collected
        (tool, n, fit_s, total_s, rss_mb, note; tab-separated, no header).
"""
import argparse
import csv
import json
import math
import sys


def read_coefs(path):
    if path.endswith('.json'):
        with open(path) as f:
            doc = json.load(f)

        def find(o):
            if isinstance(o, dict):
                if isinstance(o.get('coefficients'), list):
                    return o['coefficients']
                for v in o.values():
                    r = find(v)
                    if r is not None:
                        return r
            elif isinstance(o, list):
                for v in o:
                    r = find(v)
                    if r is not None:
                        return r
            return None

        rows = find(doc)
        if rows is None:
            raise SystemExit('%s: no "coefficients" array' % path)
    else:
        with open(path, newline='') as f:
            rows = list(csv.DictReader(f))

    def num(v):
        return float('nan') if v is None or v == '' else float(v)

    return {r['term']: (num(r['estimate']), num(r['std_error'])) for r in rows}


def compare(a):
    ref, cand = read_coefs(a.ref), read_coefs(a.cand)
    missing = [t for t in ref if t not in cand]
    extra = [t for t in cand if t not in ref]
    worst_b = worst_se = (0.0, '-')
    for t, (b, se) in ref.items():
        if t not in cand:
            continue
        cb, cse = cand[t]
        db = abs(cb - b) / max(abs(b), se) if not math.isnan(cb) else math.inf
        ds = abs(cse - se) / se if not math.isnan(cse) else math.inf
        worst_b = max(worst_b, (db, t), key=lambda w: w[0])
        worst_se = max(worst_se, (ds, t), key=lambda w: w[0])
    ok = not missing and not extra and worst_b[0] <= a.tol and worst_se[0] <= a.tol
    msg = '%s vs %s: %d terms; max rel. difference: estimates %.1e (%s), SEs %.1e (%s); %s (tol %g)' % (
        a.label, a.ref_label, len(ref), worst_b[0], worst_b[1], worst_se[0], worst_se[1],
        'agree' if ok else 'DISAGREE', a.tol)
    if missing:
        msg += '; missing terms: ' + ', '.join(missing)
    if extra:
        msg += '; extra terms: ' + ', '.join(extra)
    print(msg)
    return 0 if ok else 1


def fmt_n(n):
    n = int(n)
    e = int(math.log10(n)) if n > 0 else 0
    return '1e%d' % e if n == 10 ** e else '{:,}'.format(n)


def fmt_s(v):
    if v in ('', None):
        return ''
    v = float(v)
    return '%.3f' % v if v < 1 else '%.2f' % v if v < 100 else '%.0f' % v


def table(a):
    rows = []
    with open(a.results) as f:
        for line in f:
            p = line.rstrip('\n').split('\t')
            p += [''] * (6 - len(p))
            rows.append(dict(zip(['tool', 'n', 'fit', 'total', 'rss', 'note'], p)))
    peil = {r['n']: float(r['fit']) for r in rows if r['tool'] == 'peil (store)' and r['fit']}
    print('| tool | N | fit time (s) | total time (s) | peil speed-up | peak RSS (MB) | notes |')
    print('|---|---:|---:|---:|---:|---:|---|')
    for r in rows:
        up = ''
        if r['tool'] in ('R glm + sandwich', 'statsmodels') and r['fit'] and r['n'] in peil:
            up = '%.1f×' % (float(r['fit']) / peil[r['n']])
        rss = '%.0f' % float(r['rss']) if r['rss'] else ''
        print('| %s | %s | %s | %s | %s | %s | %s |' % (
            r['tool'], fmt_n(r['n']), fmt_s(r['fit']), fmt_s(r['total']), up, rss, r['note']))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    c = sub.add_parser('compare')
    c.add_argument('ref')
    c.add_argument('cand')
    c.add_argument('--tol', type=float, default=1e-6)
    c.add_argument('--label', default='candidate')
    c.add_argument('--ref-label', default='R')
    t = sub.add_parser('table')
    t.add_argument('results')
    a = ap.parse_args()
    return compare(a) if a.cmd == 'compare' else table(a)


if __name__ == '__main__':
    sys.exit(main())
