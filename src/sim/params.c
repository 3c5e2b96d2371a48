/* Parameters of the simulation: the defaults (the calibrated values of
 * docs/simulation.md), their check, setting by name (--param) and listing. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

#define SET(arr, ...)                                                                      \
  do {                                                                                     \
    const double v_[] = {__VA_ARGS__};                                                     \
    _Static_assert(sizeof v_ == sizeof(arr), "wrong number of values for " #arr);          \
    memcpy(arr, v_, sizeof v_);                                                            \
  } while (0)

void peil_sim_params_default(peil_sim_params *p) {
  memset(p, 0, sizeof *p);
  p->persons = 10000;
  p->seed = 1;
  p->from = peil_date_from_ymd(2015, 1, 1);
  p->to = peil_date_from_ymd(2023, 12, 31);
  p->threads = 0;
  p->command = NULL;

  /* Programme: a STiP-like route of at most a year, open from `from` on. */
  p->effect = 0.8;
  p->hidden_bias = 0.0;
  p->prog_months = 12;
  p->prog_const = -6.4;
  SET(p->prog_age, 0.3, 0.3, 0.2, 0.0, -0.3, -0.8, -1.6);
  SET(p->prog_edu, -0.3, 0.0, 0.3, -0.3);
  SET(p->prog_dur, 0.6, 0.4, 0.0, -0.6, -1.2);
  p->prog_work = 2.0;
  SET(p->prog_city, 0.0, 0.0, 0.4, 0.0);
  p->prog_age_max = 60;
  p->prog_drop_const = -3.9;
  p->prog_drop_eta = -0.3;

  /* Inflow. */
  p->history_years = 20;
  p->inflow_trend = 0.225;
  SET(p->city_share, 0.34, 0.34, 0.23, 0.09);
  p->female_share = 0.52;
  /*                          NL    West  Turks Mar   Sur   Ant   ONW */
  SET(p->mig_share[0], 0.26, 0.08, 0.08, 0.17, 0.14, 0.03, 0.24);
  SET(p->mig_share[1], 0.27, 0.06, 0.12, 0.13, 0.13, 0.08, 0.21);
  SET(p->mig_share[2], 0.27, 0.07, 0.11, 0.13, 0.17, 0.04, 0.21);
  SET(p->mig_share[3], 0.33, 0.07, 0.07, 0.20, 0.05, 0.03, 0.25);
  SET(p->edu_share_western, 0.42, 0.36, 0.14, 0.08);
  SET(p->edu_share_nonwestern, 0.44, 0.22, 0.07, 0.27);
  SET(p->hh_share_man, 0.72, 0.03, 0.07, 0.12, 0.06);
  SET(p->hh_share_woman, 0.44, 0.34, 0.06, 0.12, 0.04);
  p->entry_age_a = 1.5;
  p->entry_age_b = 2.6;
  p->far_share = 0.35;
  p->far_gap = 3.0;
  p->prior_job_share = 0.35;
  p->prior_job_months = 14;

  /* Leaving bijstand. */
  p->job_const = -0.12;
  p->job_eta = 2.0;
  SET(p->job_age, 0.1, 0.2, 0.1, 0.0, -0.3, -0.8, -1.5);
  p->job_female = -0.1;
  SET(p->job_hh, 0.0, -0.4, 0.1, -0.1, 0.0);
  SET(p->job_mig, 0.0, 0.0, -0.2, -0.2, 0.0, -0.15, -0.35);
  SET(p->job_edu, -0.3, 0.0, 0.3, -0.3);
  SET(p->job_city, 0.0, -0.05, -0.05, 0.1);
  SET(p->job_dur, 0.0, -0.34, -0.67, -1.09, -1.51);
  p->oth_const = -1.95;
  p->oth_eta = 0.54;
  SET(p->oth_age, 0.4, 0.3, 0.1, 0.0, -0.1, -0.2, -0.3);
  SET(p->oth_dur, 0.0, 0.0, -0.09, -0.19, -0.28);
  SET(p->oth_city, -0.06, -0.02, 0.02, 0.05);
  p->move_prob = 0.001;

  /* Jobs. */
  /*                                vast  uitz  oproep bep.t stage */
  SET(p->contract_from_benefit, 0.08, 0.40, 0.15, 0.32, 0.05);
  SET(p->contract_job_to_job, 0.25, 0.25, 0.10, 0.38, 0.02);
  SET(p->sep_const, -4.2, -2.0, -2.4, -2.6, -1.7);
  p->sep_early = 0.3;
  p->sep_eta = -0.4;
  p->j2j_const = -1.0;
  p->j2j_eta = 0.5;
  SET(p->hours_mean, 32, 28, 14, 28, 24);
  SET(p->hours_sd, 7, 9, 8, 9, 8);
  /*                       C     F     G     H     I     N     O     P     Q     S */
  SET(p->sector_share, 0.06, 0.05, 0.20, 0.08, 0.12, 0.12, 0.04, 0.05, 0.20, 0.08);
  SET(p->sector_share_agency, 0.02, 0.01, 0.03, 0.03, 0.02, 0.85, 0.01, 0.01, 0.01, 0.01);

  /* After a job. */
  p->ww_base_months = 3;
  p->ww_max_months = 24;
  p->ww_job_shift = 0.3;
  p->ww_to_bijstand = 0.4;
  p->back_const = 0.5;
  p->back_eta = -0.3;
  p->back_single_parent = 0.5;
  p->out_re_const = -4.97;
  p->out_re_eta = -0.3;
  SET(p->out_re_dur, 0.0, -0.5, -1.0, -1.8);
  p->out_job_shift = -0.5;

  /* SRG. */
  SET(p->srg_const, -2.4, -2.4, -2.3, -2.4);
  SET(p->srg_select, 0.5, 0.5, 0.05, 0.5);
  p->srg_ready_ref = -4.0;
  /*                    LKS   PP    JC    TR    VW    OVW   CWP   OSA   OFV   NNI */
  SET(p->srg_mix_ready, 0.12, 0.05, 0.10, 0.20, 0.03, 0.12, 0.15, 0.05, 0.10, 0.08);
  SET(p->srg_mix_unready, 0.02, 0.15, 0.03, 0.10, 0.12, 0.05, 0.18, 0.20, 0.07, 0.08);
  SET(p->srg_months, 12, 9, 10, 5, 9, 6, 8, 9, 6, 6);
}

/* ---- The table of model parameters: name, place, size, element labels. */
typedef struct {
  const char *name;
  size_t offset; /* of the first double in peil_sim_params */
  size_t n;
  const char *const *labels; /* n labels, or NULL for scalars */
  int kind;                  /* what the check demands, below */
} param_desc;

enum {
  ANY = 0,   /* any finite number */
  SHARE,     /* >= 0, the array sums to > 0 (normalised when used) */
  POSITIVE,  /* > 0 */
  NONNEG,    /* >= 0 */
  PROB       /* in [0, 1) */
};

#define SC(field, kind) {#field, offsetof(peil_sim_params, field), 1, NULL, kind}
#define AR(field, labels, kind)                                                            \
  {#field, offsetof(peil_sim_params, field),                                              \
   sizeof(((peil_sim_params *)0)->field) / sizeof(double), labels, kind}
#define MIG(i, name)                                                                       \
  {"mig_share_" name, offsetof(peil_sim_params, mig_share[i]), PEIL_SIM_NMIG,             \
   peil_sim_migration_levels, SHARE}

static const param_desc params[] = {
    SC(effect, ANY),
    SC(hidden_bias, ANY),
    SC(prog_months, POSITIVE),
    SC(prog_const, ANY),
    AR(prog_age, peil_sim_age_band_labels, ANY),
    AR(prog_edu, peil_sim_education_levels, ANY),
    AR(prog_dur, peil_sim_dur_band_labels, ANY),
    SC(prog_work, ANY),
    AR(prog_city, peil_sim_city_levels, ANY),
    SC(prog_age_max, POSITIVE),
    SC(prog_drop_const, ANY),
    SC(prog_drop_eta, ANY),
    SC(history_years, NONNEG),
    SC(inflow_trend, ANY),
    AR(city_share, peil_sim_city_levels, SHARE),
    SC(female_share, PROB),
    MIG(0, "amsterdam"),
    MIG(1, "rotterdam"),
    MIG(2, "den_haag"),
    MIG(3, "utrecht"),
    AR(edu_share_western, peil_sim_education_levels, SHARE),
    AR(edu_share_nonwestern, peil_sim_education_levels, SHARE),
    AR(hh_share_man, peil_sim_household_levels, SHARE),
    AR(hh_share_woman, peil_sim_household_levels, SHARE),
    SC(entry_age_a, POSITIVE),
    SC(entry_age_b, POSITIVE),
    SC(far_share, PROB),
    SC(far_gap, ANY),
    SC(prior_job_share, PROB),
    SC(prior_job_months, POSITIVE),
    SC(job_const, ANY),
    SC(job_eta, ANY),
    AR(job_age, peil_sim_age_band_labels, ANY),
    SC(job_female, ANY),
    AR(job_hh, peil_sim_household_levels, ANY),
    AR(job_mig, peil_sim_migration_levels, ANY),
    AR(job_edu, peil_sim_education_levels, ANY),
    AR(job_city, peil_sim_city_levels, ANY),
    AR(job_dur, peil_sim_dur_band_labels, ANY),
    SC(oth_const, ANY),
    SC(oth_eta, ANY),
    AR(oth_age, peil_sim_age_band_labels, ANY),
    AR(oth_dur, peil_sim_dur_band_labels, ANY),
    AR(oth_city, peil_sim_city_levels, ANY),
    SC(move_prob, PROB),
    AR(contract_from_benefit, peil_sim_contract_levels, SHARE),
    AR(contract_job_to_job, peil_sim_contract_levels, SHARE),
    AR(sep_const, peil_sim_contract_levels, ANY),
    SC(sep_early, ANY),
    SC(sep_eta, ANY),
    SC(j2j_const, ANY),
    SC(j2j_eta, ANY),
    AR(hours_mean, peil_sim_contract_levels, POSITIVE),
    AR(hours_sd, peil_sim_contract_levels, NONNEG),
    AR(sector_share, peil_sim_sector_levels, SHARE),
    AR(sector_share_agency, peil_sim_sector_levels, SHARE),
    SC(ww_base_months, POSITIVE),
    SC(ww_max_months, POSITIVE),
    SC(ww_job_shift, ANY),
    SC(ww_to_bijstand, ANY),
    SC(back_const, ANY),
    SC(back_eta, ANY),
    SC(back_single_parent, ANY),
    SC(out_re_const, ANY),
    SC(out_re_eta, ANY),
    AR(out_re_dur, peil_sim_outdur_band_labels, ANY),
    SC(out_job_shift, ANY),
    AR(srg_const, peil_sim_city_levels, ANY),
    AR(srg_select, peil_sim_city_levels, ANY),
    SC(srg_ready_ref, ANY),
    AR(srg_mix_ready, peil_sim_srg_levels, SHARE),
    AR(srg_mix_unready, peil_sim_srg_levels, SHARE),
    AR(srg_months, peil_sim_srg_levels, POSITIVE),
};
static const size_t nparams = sizeof params / sizeof params[0];

static double *field(peil_sim_params *p, const param_desc *d) {
  return (double *)((char *)p + d->offset);
}
static const double *cfield(const peil_sim_params *p, const param_desc *d) {
  return (const double *)((const char *)p + d->offset);
}

/* Largest values the model accepts: beyond these the hazards are all 0 or 1
 * and the months counters would overflow nothing useful. */
#define MAX_ABS_COEF 50.0
#define MAX_PERSONS 2000000000LL

static int check_one(const peil_sim_params *p, const param_desc *d) {
  const double *v = cfield(p, d);
  double sum = 0;
  for (size_t i = 0; i < d->n; i++) {
    const char *lab = d->labels ? d->labels[i] : NULL;
    if (!isfinite(v[i]) || fabs(v[i]) > 1e6)
      return peil_error(PEIL_EINVAL, "parameter %s%s%s: %g is not a usable number", d->name,
                        lab ? " " : "", lab ? lab : "", v[i]);
    int bad = (d->kind == SHARE || d->kind == NONNEG) ? v[i] < 0
              : d->kind == POSITIVE                   ? v[i] <= 0
              : d->kind == PROB                       ? (v[i] < 0 || v[i] >= 1)
                                                      : fabs(v[i]) > MAX_ABS_COEF;
    if (bad)
      return peil_error(PEIL_EINVAL, "parameter %s%s%s = %g is out of range (%s)", d->name,
                        lab ? " " : "", lab ? lab : "", v[i],
                        d->kind == SHARE      ? "shares must be >= 0"
                        : d->kind == NONNEG   ? "must be >= 0"
                        : d->kind == POSITIVE ? "must be > 0"
                        : d->kind == PROB     ? "must be in [0, 1)"
                                              : "|coefficient| must be <= 50");
    sum += v[i];
  }
  if (d->kind == SHARE && !(sum > 0))
    return peil_error(PEIL_EINVAL, "parameter %s: the shares sum to 0", d->name);
  return PEIL_OK;
}

int peil_sim_params_check(const peil_sim_params *p) {
  if (p->persons < 1)
    return peil_error(PEIL_EINVAL, "the number of persons must be at least 1 (got %lld)",
                      (long long)p->persons);
  if (p->persons > MAX_PERSONS)
    return peil_error(PEIL_EINVAL, "at most %lld persons (got %lld)", MAX_PERSONS,
                      (long long)p->persons);
  int y0, y1, m, d;
  peil_date_to_ymd(p->from, &y0, &m, &d);
  peil_date_to_ymd(p->to, &y1, &m, &d);
  if (y0 < 1950 || y1 > 2100)
    return peil_error(PEIL_EINVAL, "the data window must lie within 1950..2100");
  if (p->from >= p->to) {
    char a[11], b[11];
    peil_date_format(p->from, a);
    peil_date_format(p->to, b);
    return peil_error(PEIL_EINVAL, "the window start %s must come before its end %s", a, b);
  }
  if (p->threads < 0) return peil_error(PEIL_EINVAL, "threads must be >= 0");
  if (p->block < 0) return peil_error(PEIL_EINVAL, "block must be >= 0");
  for (size_t i = 0; i < nparams; i++) {
    int rc = check_one(p, &params[i]);
    if (rc) return rc;
  }
  if (p->history_years > 60)
    return peil_error(PEIL_EINVAL, "parameter history_years = %g: at most 60", p->history_years);
  if (p->prog_months < 1 || p->prog_months > 120 || p->ww_base_months < 1 ||
      p->ww_max_months > 120 || p->ww_base_months > p->ww_max_months)
    return peil_error(PEIL_EINVAL, "parameters prog_months and ww_base_months <= ww_max_months "
                                   "must lie within 1..120 months");
  if (p->prior_job_months < 1)
    return peil_error(PEIL_EINVAL, "parameter prior_job_months = %g must be >= 1",
                      p->prior_job_months);
  return PEIL_OK;
}

int peil_sim_params_set(peil_sim_params *p, const char *key, const char *value) {
  const param_desc *d = NULL;
  for (size_t i = 0; i < nparams && !d; i++)
    if (strcmp(params[i].name, key) == 0) d = &params[i];
  if (!d)
    return peil_error(PEIL_EINVAL,
                      "unknown parameter '%s' (peil simulate --list-params shows them)", key);
  double vals[64];
  size_t n = 0;
  const char *s = value;
  for (;;) {
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || errno) break;
    if (n < sizeof vals / sizeof vals[0]) vals[n] = x;
    n++;
    while (*end == ' ') end++;
    if (*end == '\0') {
      s = end;
      break;
    }
    if (*end != ',') {
      s = end;
      break;
    }
    s = end + 1;
  }
  if (*s != '\0' || n == 0)
    return peil_error(PEIL_EINVAL, "parameter %s: '%s' is not a number%s", key, value,
                      d->n > 1 ? " list" : "");
  if (n != d->n)
    return peil_error(PEIL_EINVAL, "parameter %s takes %zu value%s, got %zu", key, d->n,
                      d->n > 1 ? "s" : "", n);
  peil_sim_params tmp = *p;
  memcpy(field(&tmp, d), vals, n * sizeof *vals);
  int rc = check_one(&tmp, d);
  if (rc) return rc;
  memcpy(field(p, d), vals, n * sizeof *vals);
  return PEIL_OK;
}

/* Shortest text that reads back as the same double. */
static void fmt_double(double v, char *buf, size_t n) {
  for (int prec = 6; prec <= 17; prec++) {
    snprintf(buf, n, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) return;
  }
}

char *peil_sim_params_text(const peil_sim_params *p) {
  size_t cap = 16384, len = 0;
  char *out = malloc(cap);
  if (!out) return NULL;
  out[0] = '\0';
  for (size_t i = 0; i < nparams; i++) {
    const param_desc *d = &params[i];
    const double *v = cfield(p, d);
    char line[2048], num[32];
    int k = snprintf(line, sizeof line, "%s = ", d->name);
    for (size_t j = 0; j < d->n; j++) {
      fmt_double(v[j], num, sizeof num);
      k += snprintf(line + k, sizeof line - (size_t)k, "%s%s", j ? ", " : "", num);
    }
    if (d->labels) {
      k += snprintf(line + k, sizeof line - (size_t)k, "  # ");
      for (size_t j = 0; j < d->n; j++)
        k += snprintf(line + k, sizeof line - (size_t)k, "%s%s", j ? ", " : "", d->labels[j]);
    }
    snprintf(line + k, sizeof line - (size_t)k, "\n");
    size_t ll = strlen(line);
    if (len + ll + 1 > cap) {
      char *bigger = realloc(out, cap * 2);
      if (!bigger) {
        free(out);
        return NULL;
      }
      out = bigger;
      cap *= 2;
    }
    memcpy(out + len, line, ll + 1);
    len += ll;
  }
  return out;
}
