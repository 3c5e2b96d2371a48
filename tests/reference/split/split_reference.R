# The split of tests/reference/split, made independently of peil: episodes,
# follow-up, events and treatment switches by hand in base R from the spell
# tables (CSV, as `peil export` writes them), the pieces by survival's
# tmerge (the treatment, a time-dependent covariate) and survSplit (the
# duration bands), and the Poisson GLMs of the piecewise-constant hazard
# model with model-based and cluster-robust (sandwich::vcovCL, HC1, on rin)
# standard errors. docs/split.md defines what is computed; this script
# follows that text, not peil's code.
#
#   Rscript split_reference.R DIR OUT 'MODELS' --option value ...
#
# DIR holds persons.csv (rin, birth_date, sex), bijstand.csv, jobs.csv and
# programme.csv (rin, start, end; end empty when open). The options are
# peil split's, with the same meaning: --data-start, --data-end (dates;
# --data-end is required here), --cuts, --gap (days or none), --within (A..B),
# --treatment-end (stays or days), --age-cuts, --event (jobs or ended);
# the spells are bijstand's, the treatment is programme's, and other
# options (--treatment, --covariates) are ignored. MODELS: right-hand sides
# "event ~ ..." separated by ';'. Writes OUT_pieces.csv (the split table,
# sorted by rin, episode, tstart) and OUT_glm.csv (model, term, estimate,
# std_error, std_error_cluster).
suppressPackageStartupMessages({
  library(survival)
  library(sandwich)
})

options(scipen = 100)                                # whole numbers in full in the CSV
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
out <- args[2]
opt <- list(data_start = NA, data_end = NA, cuts = "91,182,273,365,547", gap = "0", within = "31",
            treatment_end = "stays", age_cuts = "27,35,45,55", event = "jobs", models = args[3])
rest <- args[-(1:3)]
for (i in seq(1, length(rest), by = 2)) opt[[gsub("-", "_", sub("^--", "", rest[i]))]] <- rest[i + 1]
day <- function(s) as.numeric(as.Date(s))            # days since 1970-01-01
ints <- function(s) as.numeric(strsplit(s, ",")[[1]])
cuts <- ints(opt$cuts)
age_cuts <- ints(opt$age_cuts)
gap <- if (opt$gap == "none") -1 else as.numeric(opt$gap)
within <- as.numeric(strsplit(opt$within, "..", fixed = TRUE)[[1]])
if (length(within) == 1) within <- c(1, within)      # W: days 1..W after the last day
tr_end <- if (opt$treatment_end == "stays") -1 else as.numeric(opt$treatment_end)
from <- if (is.na(opt$data_start) || opt$data_start == "none") -Inf else day(opt$data_start)
to <- day(opt$data_end)

read_spells <- function(name) {
  d <- read.csv(file.path(dir, paste0(name, ".csv")), colClasses = "character")
  data.frame(rin = as.numeric(d$rin), start = day(d$start),
             end = ifelse(d$end == "", Inf, day(ifelse(d$end == "", "1970-01-01", d$end))))
}
persons <- read.csv(file.path(dir, "persons.csv"), colClasses = "character")
persons$rin <- as.numeric(persons$rin)
persons$birth <- ifelse(persons$birth_date == "", NA, day(ifelse(persons$birth_date == "", "1970-01-01", persons$birth_date)))
bij <- read_spells("bijstand")
jobs <- read_spells("jobs")
prog <- read_spells("programme")
bij <- bij[bij$rin %in% persons$rin, ]                # spells of unknown persons are ignored
bij <- bij[order(bij$rin, bij$start), ]

# Episodes: a spell starting more than gap + 1 days after the latest end so
# far (within the person) starts a new one.
reach_before <- ave(bij$end, bij$rin, FUN = function(e) c(-Inf, head(cummax(e), -1)))
new <- if (gap < 0) rep(TRUE, nrow(bij)) else bij$start > reach_before + 1 + gap
bij$episode <- ave(as.numeric(new), bij$rin, FUN = cumsum)
ep <- aggregate(cbind(start = bij$start), by = list(rin = bij$rin, episode = bij$episode), FUN = min)
ep$end <- aggregate(bij$end, by = list(bij$rin, bij$episode), FUN = max)$x
ep <- ep[order(ep$rin, ep$episode), ]

# Follow-up from max(start, data_start) to min(end, data_end); ended when
# end <= data_end.
first <- pmax(ep$start, from)
last <- pmin(ep$end, to)
ep$ended <- is.finite(ep$end) & ep$end <= to
ep <- ep[last >= first, ]
ep$t0 <- pmax(ep$start, from) - ep$start
ep$t1 <- pmin(ep$end, to) - ep$start + 1

# The event: the end, or an end followed by a job starting in [end + A, end + B].
if (opt$event == "ended") {
  ep$ev <- as.numeric(ep$ended)
} else {
  m <- merge(ep[ep$ended, c("rin", "episode", "end")], jobs[, c("rin", "start")], by = "rin")
  hit <- m[m$start >= m$end + within[1] & m$start <= m$end + within[2], ]
  key <- paste(ep$rin, ep$episode)
  ep$ev <- as.numeric(ep$ended & key %in% paste(hit$rin, hit$episode))
}

# The treatment: the first programme spell (in start order) overlapping
# [episode start, last day of follow-up] switches treated on at its start
# (or the episode's), off treatment_end + 1 days after its last day.
ep$lastday <- ep$start + ep$t1 - 1
m <- merge(ep[, c("rin", "episode", "start", "lastday")],
           data.frame(rin = prog$rin, pstart = prog$start, pend = prog$end), by = "rin")
earlier <- m[m$pend < m$start, ]
ep$earlier <- as.numeric(paste(ep$rin, ep$episode) %in% paste(earlier$rin, earlier$episode))
ov <- m[m$pend >= m$start & m$pstart <= m$lastday, ]
ov <- ov[order(ov$rin, ov$episode, ov$pstart), ]
ov <- ov[!duplicated(paste(ov$rin, ov$episode)), ]
ov$on <- pmax(ov$pstart, ov$start) - ov$start
ov$off <- if (tr_end < 0) Inf else ov$pend + tr_end + 1 - ov$start

# Covariates at the episode's start: age in full years (calendar months:
# a 29 February birthday is reached on 28 February in other years), its
# class, the calendar year, sex.
ymd <- function(d) as.POSIXlt(as.Date(d, origin = "1970-01-01"))
ep <- merge(ep, persons[, c("rin", "birth", "sex")], by = "rin")
b <- ymd(ifelse(is.na(ep$birth), 0, ep$birth))
s <- ymd(ep$start)
leap <- function(y) (y %% 4 == 0 & y %% 100 != 0) | y %% 400 == 0
bmday <- ifelse(b$mon == 1 & b$mday == 29 & !leap(s$year + 1900), 28, b$mday)
age <- (s$year - b$year) - as.numeric(s$mon < b$mon | (s$mon == b$mon & s$mday < bmday))
ep$age <- ifelse(is.na(ep$birth) | ep$birth > ep$start, NA, age)
labels <- c(paste("<", age_cuts[1]),
            if (length(age_cuts) > 1) paste0(head(age_cuts, -1), "-", tail(age_cuts, -1) - 1),
            paste(">=", tail(age_cuts, 1)))
ep$age_class <- labels[findInterval(ep$age, age_cuts) + 1]
ep$year <- s$year + 1900
ep$id <- seq_len(nrow(ep))

# The pieces: tmerge sets the follow-up (tstart, tstop], the event at its
# end and the treatment's switches; survSplit cuts at the bands.
base <- ep[, c("id", "rin", "episode", "start", "t0", "t1", "ev", "earlier", "age", "age_class", "year", "sex")]
tm <- tmerge(base, base, id = id, tstart = t0, tstop = t1)
tm <- tmerge(tm, base, id = id, event = event(t1, ev))
sw <- merge(ep[, c("rin", "episode", "id")], ov[, c("rin", "episode", "on", "off")])
switches <- rbind(data.frame(id = sw$id, time = sw$on, value = 1),
                  data.frame(id = sw$id, time = sw$off, value = 0)[is.finite(sw$off), ])
tm <- tmerge(tm, switches, id = id, treated = tdc(time, value, 0))
pieces <- survSplit(Surv(tstart, tstop, event) ~ ., data = as.data.frame(tm), cut = cuts,
                    episode = "band")
bands <- c(paste0(c(0, cuts), "-", c(cuts, NA))[seq_along(cuts)], paste0(tail(c(0, cuts), 1), "+"))
pieces$period <- factor(bands[pieces$band], levels = bands)
pieces$exposure <- pieces$tstop - pieces$tstart
pieces <- pieces[order(pieces$rin, pieces$episode, pieces$tstart), ]
pieces$start <- format(as.Date(pieces$start, origin = "1970-01-01"))
cols <- c("rin", "episode", "start", "tstart", "tstop", "exposure", "event", "period", "treated",
          "sex", "age", "age_class", "year", "earlier")
write.csv(pieces[, cols], paste0(out, "_pieces.csv"), row.names = FALSE, quote = FALSE, na = "")

# The piecewise-constant hazard models, fully converged.
pieces$sex <- factor(pieces$sex, levels = c("man", "vrouw"))
pieces$age_class <- factor(pieces$age_class, levels = labels)
res <- NULL
for (f in strsplit(opt$models, ";", fixed = TRUE)[[1]]) {
  fit <- glm(as.formula(paste(f, "+ offset(log(exposure))")), family = poisson, data = pieces,
             control = glm.control(epsilon = 1e-14, maxit = 100))
  res <- rbind(res, data.frame(model = trimws(f), term = names(coef(fit)), estimate = coef(fit),
                               std_error = sqrt(diag(vcov(fit))),
                               std_error_cluster = sqrt(diag(vcovCL(fit, cluster = ~rin, type = "HC1",
                                                                    cadjust = TRUE)))))
}
write.csv(format(res, digits = 17), paste0(out, "_glm.csv"), row.names = FALSE, quote = TRUE)
