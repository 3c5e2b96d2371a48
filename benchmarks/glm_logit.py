#!/usr/bin/python3
"""Logistic regression with HC1 standard errors in statsmodels, timed.

    /usr/bin/python3 benchmarks/glm_logit.py data.csv coefs.csv ["y ~ x1 + ..."]

Reads the CSV written by benchmarks/glm_data.py with pandas, builds the
design matrix with numpy as R's model.matrix would (intercept, numeric
columns as they are, one dummy per non-reference level of a text column or
of factor(x), levels sorted by their bytes, first level the reference, R's
coefficient names), then times

    statsmodels.api.Logit(y, X).fit(cov_type='HC1', disp=0)   (and .bse)

Reading and building the matrix are timed and reported but not part of the
fit time. Writes term, estimate and std_error (HC1) with 17 significant
digits to coefs.csv.

statsmodels 0.13 computes no small-sample factor for cov_type='HC1' outside
OLS: for Logit its "HC1" is HC0 (base/covtype.py falls back to
cov_white_simple(use_correction=False)). std_error is therefore bse times
sqrt(n / (n - k)), which is HC1 as sandwich defines it (computed after the
timed fit; it costs nothing); the column std_error_statsmodels holds bse as
statsmodels reports it. The last line of the output is machine-readable:
    RESULT tool=statsmodels n=... k=... read_s=... design_s=... fit_s=... ...
"""
import re
import sys
import time

import numpy as np
import pandas as pd

DEFAULT_FORMULA = ('y ~ age + income + hours + z1 + z2 + z3 + u1 + benefit_months + children'
                   ' + municipality + age_band + sex + migration + duration + factor(year)')
TEXT = ['municipality', 'age_band', 'sex', 'migration', 'duration']


def design(df, formula):
    """(y, X, names) for a main-effects formula `y ~ a + b + factor(c)`."""
    lhs, rhs = [s.strip() for s in formula.split('~')]
    terms = [t.strip() for t in rhs.split('+')]
    names = ['(Intercept)']
    n = len(df)
    cols = []  # (kind, column, levels)
    for t in terms:
        m = re.fullmatch(r'factor\((\w+)\)', t)
        if m:
            cols.append(('factor', m.group(1), t))
        elif df[t].dtype == object or str(df[t].dtype) == 'category':
            cols.append(('factor', t, t))
        else:
            cols.append(('numeric', t, t))
    k = 1
    for kind, col, _ in cols:
        if kind == 'numeric':
            k += 1
        else:
            k += df[col].nunique() - 1
    X = np.empty((n, k), order='F')
    X[:, 0] = 1.0
    j = 1
    for kind, col, label in cols:
        v = df[col]
        if kind == 'numeric':
            X[:, j] = v.to_numpy(dtype=np.float64)
            names.append(label)
            j += 1
            continue
        if str(v.dtype) == 'category':
            v = v.astype(object)
        # Numbers sort as numbers (R's factor() of an integer), text by bytes.
        levels = sorted(pd.unique(v), key=lambda s: s.encode('utf-8') if isinstance(s, str) else s)
        codes = pd.Categorical(v, categories=levels).codes
        for c, lev in enumerate(levels[1:], start=1):
            X[:, j] = codes == c
            names.append('%s%s' % (label, lev))
            j += 1
    y = df[lhs].to_numpy(dtype=np.float64)
    return y, X, names


def main():
    if len(sys.argv) < 3:
        sys.exit('usage: glm_logit.py data.csv coefs.csv [formula]')
    csv, out = sys.argv[1], sys.argv[2]
    formula = sys.argv[3] if len(sys.argv) > 3 else DEFAULT_FORMULA
    t0 = time.perf_counter()
    import statsmodels
    import statsmodels.api as sm
    t_import = time.perf_counter() - t0

    t0 = time.perf_counter()
    header = pd.read_csv(csv, nrows=0).columns
    df = pd.read_csv(csv, dtype={c: 'category' for c in TEXT if c in header})
    t_read = time.perf_counter() - t0

    t0 = time.perf_counter()
    y, X, names = design(df, formula)
    t_design = time.perf_counter() - t0
    del df

    t0 = time.perf_counter()
    res = sm.Logit(y, X).fit(cov_type='HC1', disp=0)
    se = np.asarray(res.bse)
    t_fit = time.perf_counter() - t0

    est = np.asarray(res.params)
    conv = res.mle_retvals.get('converged')
    iters = res.mle_retvals.get('iterations')
    n, k = X.shape
    hc1 = se * np.sqrt(n / (n - k))  # see the docstring: statsmodels' "HC1" is HC0 here
    with open(out, 'w') as f:
        f.write('"term","estimate","std_error","std_error_statsmodels"\n')
        for t, b, s, s0 in zip(names, est, hc1, se):
            f.write('"%s","%.17g","%.17g","%.17g"\n' % (t, b, s, s0))
    # The BLAS numpy really loaded (Debian: libblas.so.3 via alternatives).
    with open('/proc/self/maps') as f:
        blas = sorted({line.split()[-1] for line in f
                       if re.search(r'lib(open)?blas[^/]*\.so', line.split()[-1])})
    print('statsmodels %s, numpy %s, pandas %s, BLAS %s'
          % (statsmodels.__version__, np.__version__, pd.__version__, ', '.join(blas) or '?'))
    print('import statsmodels: %.2f s; read (pandas.read_csv): %.2f s; design matrix: %.2f s '
          '(%d x %d)' % (t_import, t_read, t_design, X.shape[0], X.shape[1]))
    print('Logit.fit(cov_type=HC1): %.2f s (%s Newton iterations, converged %s); its "HC1" '
          'is HC0 for Logit, SEs written times sqrt(n/(n-k))' % (t_fit, iters, conv))
    print('RESULT tool=statsmodels n=%d k=%d read_s=%.3f design_s=%.3f fit_s=%.3f iter=%s'
          % (X.shape[0], X.shape[1], t_read, t_design, t_fit, iters))


if __name__ == '__main__':
    main()
