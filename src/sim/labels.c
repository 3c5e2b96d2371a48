/* Labels of the simulated extract's categorical columns, in code order. The
 * spellings follow the registers (CBS, Polis, SRG) as the seed reports use
 * them, so that analyses written against the extract read like the real ones. */
#include "peil/sim.h"

const char *const peil_sim_city_levels[PEIL_SIM_NCITY] = {"Amsterdam", "Rotterdam", "Den Haag",
                                                           "Utrecht"};
const char *const peil_sim_sex_levels[PEIL_SIM_NSEX] = {"man", "vrouw"};
const char *const peil_sim_migration_levels[PEIL_SIM_NMIG] = {
    "Nederlands", "Westers",     "Turks", "Marokkaans",
    "Surinaams",  "Antilliaans", "Overig niet-westers"};
const char *const peil_sim_education_levels[PEIL_SIM_NEDU] = {"laag", "middelbaar", "hoog",
                                                               "onbekend"};
const char *const peil_sim_household_levels[PEIL_SIM_NHH] = {
    "alleenstaand", "alleenstaande ouder", "paar zonder kinderen", "paar met kinderen",
    "overig"};
const char *const peil_sim_contract_levels[PEIL_SIM_NCONTRACT] = {"vast", "uitzend", "oproep",
                                                                   "bepaalde tijd", "stage"};
/* SBI 2008 sections most jobs of people leaving bijstand fall in. */
const char *const peil_sim_sector_levels[PEIL_SIM_NSECTOR] = {
    "C Industrie",        "F Bouwnijverheid",           "G Handel",
    "H Vervoer en opslag", "I Horeca",                  "N Zakelijke dienstverlening",
    "O Openbaar bestuur", "P Onderwijs",                "Q Zorg en welzijn",
    "S Overige dienstverlening"};
/* The SRG codes of the Den Haag evaluation (seed 001, footnote 13). */
const char *const peil_sim_srg_levels[PEIL_SIM_NSRG] = {
    "LKSPWET",          "PARTICIPATIEPLAATS",       "JOBCOACHBEGELEIDING",
    "TRAININGETC",      "VRIJWILLIGERSWERK",        "OVWERKPLEK",
    "COACHINGWERKPARTICIPATIE", "OVERIGESOCIALEACTIVERING", "OVERIGEFACILITERENDEVOORZ",
    "NIETNADERINTEDELEN"};
const char *const peil_sim_exit_levels[PEIL_SIM_NEXIT] = {"regulier werk", "uitval",
                                                           "einde traject", "verhuisd/overig"};
const char *const peil_sim_age_band_labels[PEIL_SIM_NAGE] = {"18-22", "23-26", "27-34", "35-44",
                                                              "45-54", "55-59", "60+"};
const char *const peil_sim_dur_band_labels[PEIL_SIM_NDUR] = {"0-5m", "6-11m", "12-23m",
                                                              "24-59m", "60m+"};
const char *const peil_sim_outdur_band_labels[PEIL_SIM_NOUTDUR] = {"0-5m", "6-11m", "12-23m",
                                                                    "24m+"};
const int peil_sim_horizons[PEIL_SIM_NHORIZON] = {6, 12, 18, 24};
