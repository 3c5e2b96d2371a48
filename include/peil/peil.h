/* peil.h: the whole public API of libpeil. */
#ifndef PEIL_H
#define PEIL_H

#include "peil/core.h"
#include "peil/store.h"
#include "peil/expr.h"
#include "peil/model.h"
#include "peil/csv.h"
#include "peil/sim.h"
#include "peil/spec.h"
#include "peil/cohort.h"
#include "peil/split.h"
#include "peil/match.h"
#include "peil/stats.h"
#include "peil/crosstab.h"
#include "peil/table.h"
#include "peil/disclosure.h"

#endif
