/* peil.h: the whole public API of libpeil. */
#ifndef PEIL_H
#define PEIL_H

#include "peil/core.h"
#include "peil/store.h"
#include "peil/sim.h"

#endif
