/* What every person of a run shares: the month calendar and GSL's
 * preprocessed tables for the categorical draws (read-only, so threads
 * share them). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

int sim_month_of(int32_t day) {
  int y, m, d;
  peil_date_to_ymd(day, &y, &m, &d);
  return (y - 1970) * 12 + (m - 1);
}

static int32_t first_day(int month) {
  int y = month >= 0 ? month / 12 : -((-month + 11) / 12);
  int mo = month - y * 12;
  return peil_date_from_ymd(1970 + y, mo + 1, 1);
}

void sim_world_free(sim_world *w) {
  free(w->mstart);
  gsl_ran_discrete_t **tabs[] = {&w->entry_month, &w->city,      &w->edu[0],    &w->edu[1],
                                 &w->hh[0],       &w->hh[1],     &w->contract[0], &w->contract[1],
                                 &w->sector[0],   &w->sector[1], &w->srg[0],    &w->srg[1]};
  for (size_t i = 0; i < sizeof tabs / sizeof tabs[0]; i++)
    if (*tabs[i]) gsl_ran_discrete_free(*tabs[i]);
  for (int c = 0; c < PEIL_SIM_NCITY; c++)
    if (w->mig[c]) gsl_ran_discrete_free(w->mig[c]);
  memset(w, 0, sizeof *w);
}

int sim_world_init(sim_world *w, const peil_sim_params *p) {
  memset(w, 0, sizeof *w);
  w->p = p;
  w->m_from = sim_month_of(p->from);
  w->m_last = sim_month_of(p->to);
  w->m_first = w->m_from - (int)lround(p->history_years * 12);
  int nm = w->m_last - w->m_first + 1;
  w->mstart = malloc(((size_t)nm + 1) * sizeof *w->mstart);
  double *wt = malloc((size_t)nm * sizeof *wt);
  int ok = w->mstart && wt;
  if (ok) {
    for (int k = 0; k <= nm; k++) w->mstart[k] = first_day(w->m_first + k);
    /* The inflow into bijstand per month: constant before the window,
     * declining by inflow_trend a year from its start on. */
    for (int k = 0; k < nm; k++) {
      int after = w->m_first + k - w->m_from;
      wt[k] = exp(-p->inflow_trend * (after > 0 ? after : 0) / 12.0);
    }
    ok = (w->entry_month = gsl_ran_discrete_preproc((size_t)nm, wt)) != NULL;
  }
  free(wt);
  /* GSL normalises the weights itself. */
  ok = ok && (w->city = gsl_ran_discrete_preproc(PEIL_SIM_NCITY, p->city_share));
  for (int c = 0; ok && c < PEIL_SIM_NCITY; c++)
    ok = (w->mig[c] = gsl_ran_discrete_preproc(PEIL_SIM_NMIG, p->mig_share[c])) != NULL;
  ok = ok && (w->edu[0] = gsl_ran_discrete_preproc(PEIL_SIM_NEDU, p->edu_share_western));
  ok = ok && (w->edu[1] = gsl_ran_discrete_preproc(PEIL_SIM_NEDU, p->edu_share_nonwestern));
  ok = ok && (w->hh[0] = gsl_ran_discrete_preproc(PEIL_SIM_NHH, p->hh_share_man));
  ok = ok && (w->hh[1] = gsl_ran_discrete_preproc(PEIL_SIM_NHH, p->hh_share_woman));
  ok = ok && (w->contract[0] =
                  gsl_ran_discrete_preproc(PEIL_SIM_NCONTRACT, p->contract_from_benefit));
  ok = ok && (w->contract[1] =
                  gsl_ran_discrete_preproc(PEIL_SIM_NCONTRACT, p->contract_job_to_job));
  ok = ok && (w->sector[0] = gsl_ran_discrete_preproc(PEIL_SIM_NSECTOR, p->sector_share));
  ok = ok && (w->sector[1] = gsl_ran_discrete_preproc(PEIL_SIM_NSECTOR, p->sector_share_agency));
  ok = ok && (w->srg[0] = gsl_ran_discrete_preproc(PEIL_SIM_NSRG, p->srg_mix_unready));
  ok = ok && (w->srg[1] = gsl_ran_discrete_preproc(PEIL_SIM_NSRG, p->srg_mix_ready));
  if (!ok) {
    sim_world_free(w);
    return peil_error(PEIL_ENOMEM, "simulate: out of memory preparing the run");
  }
  return PEIL_OK;
}
