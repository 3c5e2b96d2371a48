#!/usr/bin/python3
"""Synthetic register-like data for the logistic-regression benchmark.

    /usr/bin/python3 benchmarks/glm_data.py --rows 1000000 -o data.csv \
        [--schema data.schema.ini] [--truth truth.csv] [--seed 2024]

Writes N rows as CSV (streamed in blocks of 500,000 rows, so memory stays
flat), a peil schema that fixes every column (so `peil import --schema` reads
the file once) and optionally the true coefficients.

Reproducible: block k is drawn from numpy's default generator seeded with
(seed, k), so the same seed gives the same file on every machine and the
first N rows of a larger file are the file of N rows.

Columns (no missing values):
  y               0/1 outcome drawn from the logit model below
  age             integer years 18-66
  income          yearly income in euros, log-normal (skewed), 2 decimals;
                  kept in euros, as registers deliver it, not rescaled
  hours           hours a week, uniform 0-40, 1 decimal
  z1, z2, z3      standard normal, 4 decimals (z3 correlated with z1, r=0.6)
  u1              uniform 0-1, 4 decimals
  benefit_months  months on benefit, geometric (skewed), 0-240
  children        Poisson(1.3)
  municipality    Amsterdam, Den Haag, Rotterdam, Utrecht (the G4)
  age_band        18-24, 25-34, 35-44, 45-54, 55-66 (from age)
  sex             M, V
  migration       Nederlands, Niet-westers, Westers
  duration        kort, lang, middel
  year            2018-2022, an integer used as factor(year)

The model has 26 coefficients: the intercept, 9 numeric covariates and 16
dummies (3 + 4 + 1 + 2 + 2 + 4). Level lists are sorted by their bytes, so
the first level is the reference in R (factor(), C collation), in statsmodels
(glm_logit.py) and in peil (the schema fixes the order).
"""
import argparse
import sys

import numpy as np
import pandas as pd

BLOCK = 500_000  # rows per block: fixed, it is part of the seeding

NUMERIC = ['age', 'income', 'hours', 'z1', 'z2', 'z3', 'u1', 'benefit_months', 'children']
LEVELS = {
    'municipality': ['Amsterdam', 'Den Haag', 'Rotterdam', 'Utrecht'],
    'age_band': ['18-24', '25-34', '35-44', '45-54', '55-66'],
    'sex': ['M', 'V'],
    'migration': ['Nederlands', 'Niet-westers', 'Westers'],
    'duration': ['kort', 'lang', 'middel'],
}
YEARS = [2018, 2019, 2020, 2021, 2022]
COLUMNS = ['y'] + NUMERIC + list(LEVELS) + ['year']
FORMULA = 'y ~ ' + ' + '.join(NUMERIC + list(LEVELS) + ['factor(year)'])

# True coefficients, with R's names. Reference levels have none.
INTERCEPT = -1.0
BETA_NUM = {'age': 0.015, 'income': -1.5e-5, 'hours': 0.02, 'z1': 0.3, 'z2': -0.2,
            'z3': 0.1, 'u1': 0.5, 'benefit_months': 0.01, 'children': -0.1}
BETA_CAT = {
    'municipality': [0.0, 0.1, 0.2, -0.15],
    'age_band': [0.0, 0.1, 0.2, 0.05, -0.2],
    'sex': [0.0, -0.25],
    'migration': [0.0, 0.3, 0.15],
    'duration': [0.0, 0.4, 0.2],
    'year': [0.0, 0.05, -0.3, -0.1, 0.1],
}
PROBS = {'municipality': [0.35, 0.2, 0.25, 0.2], 'sex': [0.5, 0.5],
         'migration': [0.6, 0.25, 0.15], 'duration': [0.4, 0.25, 0.35],
         'year': [0.2] * 5}
AGE_BREAKS = [25, 35, 45, 55]  # age_band code = number of breaks <= age


def truth():
    """(term, value) in the order of R's model matrix."""
    out = [('(Intercept)', INTERCEPT)] + list(BETA_NUM.items())
    for col, levels in LEVELS.items():
        out += [(col + lev, b) for lev, b in zip(levels[1:], BETA_CAT[col][1:])]
    out += [('factor(year)%d' % y, b) for y, b in zip(YEARS[1:], BETA_CAT['year'][1:])]
    return out


def block(seed, k, n):
    """Rows [k*BLOCK, k*BLOCK + n): always drawn as a full block, then cut."""
    df = full_block(seed, k)
    return df.iloc[:n] if n < BLOCK else df


def full_block(seed, k):
    n = BLOCK
    rng = np.random.default_rng([seed, k])
    age = rng.integers(18, 67, n)
    x = {
        'age': age,
        'income': np.round(rng.lognormal(10.1 + 0.005 * (age - 18), 0.6), 2),
        'hours': np.round(rng.uniform(0, 40, n), 1),
    }
    z1 = rng.standard_normal(n)
    x['z1'] = np.round(z1, 4)
    x['z2'] = np.round(rng.standard_normal(n), 4)
    x['z3'] = np.round(0.6 * z1 + 0.8 * rng.standard_normal(n), 4)
    x['u1'] = np.round(rng.random(n), 4)
    x['benefit_months'] = np.minimum(rng.geometric(1 / 20, n) - 1, 240)
    x['children'] = rng.poisson(1.3, n)
    codes = {'age_band': np.searchsorted(AGE_BREAKS, age, side='right')}
    for col in ['municipality', 'sex', 'migration', 'duration', 'year']:
        codes[col] = rng.choice(len(PROBS[col]), size=n, p=PROBS[col])
    # The linear predictor from the values as written (rounded), so the
    # model is exactly the one the CSV holds.
    eta = np.full(n, INTERCEPT)
    for col, b in BETA_NUM.items():
        eta += b * x[col]
    for col, b in BETA_CAT.items():
        eta += np.asarray(b)[codes[col]]
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(np.int8)
    df = pd.DataFrame({'y': y})
    for col in NUMERIC:
        df[col] = x[col]
    for col, levels in LEVELS.items():
        df[col] = pd.Categorical.from_codes(codes[col], levels)
    df['year'] = np.asarray(YEARS, dtype=np.int16)[codes['year']]
    return df


def write_schema(path):
    with open(path, 'w') as s:
        s.write('; written by benchmarks/glm_data.py\n[columns]\n')
        types = {'y': 'int8', 'age': 'int16', 'benefit_months': 'int16', 'children': 'int8',
                 'year': 'int16'}
        for col in ['y'] + NUMERIC + ['year']:
            s.write('%s = %s\n' % (col, types.get(col, 'float64')))
        for col, levels in LEVELS.items():
            s.write('\n[%s]\ntype = enum\nlevels = %s\n'
                    % (col, ', '.join('"%s"' % lev for lev in levels)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--rows', '-n', type=float, help='rows (1e6 is fine)')
    ap.add_argument('--output', '-o', help='CSV file to write')
    ap.add_argument('--schema', help='peil schema (INI) to write')
    ap.add_argument('--truth', help='CSV of the true coefficients to write')
    ap.add_argument('--seed', type=int, default=2024)
    ap.add_argument('--formula', action='store_true', help='print the formula and exit')
    a = ap.parse_args()
    if a.formula:
        print(FORMULA)
        return
    if a.rows is None or a.output is None:
        ap.error('--rows and --output are required')
    rows = int(a.rows)
    with open(a.output, 'w', newline='') as out:
        for k, at in enumerate(range(0, rows, BLOCK)):
            df = block(a.seed, k, min(BLOCK, rows - at))
            df.to_csv(out, index=False, header=(k == 0), lineterminator='\n')
        if rows == 0:
            out.write(','.join(COLUMNS) + '\n')
    if a.schema:
        write_schema(a.schema)
    if a.truth:
        pd.DataFrame(truth(), columns=['term', 'estimate']).to_csv(a.truth, index=False)
    print('wrote %s: %d rows, %d columns; formula: %s' % (a.output, rows, len(COLUMNS), FORMULA),
          file=sys.stderr)


if __name__ == '__main__':
    main()
