# Independent reference values for peil's GLM engine (src/model/), from R's
# glm and the sandwich package.
#
# Run from the repository root:   Rscript tests/reference/glm_reference.R
#
# Writes, deterministically (fixed seeds):
#   tests/reference/glm/data/<name>.csv       synthetic data sets
#   tests/reference/glm/cases.ini             one section per test case
#   tests/reference/glm/expected/<case>.csv   what,term,value
#   tests/reference/glm/convergence.csv       R's default fit vs the converged MLE
# The file formats and the cases are described in tests/reference/glm/README.md.
#
# Every expected value is computed from the CSV files as read back, never from
# the data in memory. Numbers are written so they round-trip exactly (the
# shortest of 15, 16 or 17 significant digits that reads back to the same
# double; the script checks this).

suppressPackageStartupMessages(library(sandwich))
invisible(Sys.setlocale("LC_COLLATE", "C")) # factor levels in byte order, as peil

root <- file.path("tests", "reference", "glm")
if (!dir.exists(file.path("tests", "reference"))) stop("run from the repository root")
for (d in c("data", "expected")) dir.create(file.path(root, d), recursive = TRUE, showWarnings = FALSE)

# Any warning is an error, except those a case lists as expected.
allow_warnings <- function(expr, patterns) {
  withCallingHandlers(expr, warning = function(w) {
    if (any(vapply(patterns, grepl, logical(1), x = conditionMessage(w), fixed = TRUE)))
      invokeRestart("muffleWarning")
    stop("unexpected warning: ", conditionMessage(w), call. = FALSE)
  })
}

# ---------------------------------------------------------------------------
# Writing and reading data
# ---------------------------------------------------------------------------

num_text <- function(x) {
  out <- character(length(x))
  na <- is.na(x)
  out[na] <- "NA"
  for (i in which(!na)) {
    for (dg in 15:17) {
      s <- sprintf("%.*g", dg, x[i])
      if (as.numeric(s) == x[i]) break
    }
    out[i] <- s
  }
  out
}

write_data <- function(df, name) {
  cols <- lapply(names(df), function(nm) {
    x <- df[[nm]]
    if (is.integer(x)) return(ifelse(is.na(x), "NA", as.character(x)))
    if (is.double(x)) {
      ok <- x[!is.na(x)]
      # A double column whose values are all integral would be read as integers.
      if (all(ok == round(ok))) stop(name, ": double column '", nm, "' has only integral values")
      return(num_text(x))
    }
    if (is.character(x)) {
      if (any(grepl("[\",\n]", x[!is.na(x)]))) stop(name, ": text with a comma or quote in ", nm)
      if (any(x[!is.na(x)] %in% c("NA", "."))) stop(name, ": text that reads as missing in ", nm)
      return(ifelse(is.na(x), "NA", x))
    }
    stop(name, ": unsupported column type for ", nm)
  })
  lines <- do.call(paste, c(cols, sep = ","))
  path <- file.path(root, "data", paste0(name, ".csv"))
  writeLines(c(paste(names(df), collapse = ","), lines), path, useBytes = TRUE)
  back <- read_data(paste0(name, ".csv"), factors = FALSE)
  for (nm in names(df)) {
    if (!identical(unname(df[[nm]]), unname(back[[nm]])))
      stop(name, ": column ", nm, " does not round-trip")
  }
  invisible(path)
}

# Reads a data file as peil would: integers, doubles, text (as factors with
# levels in byte order).
read_data <- function(file, factors = TRUE) {
  d <- read.csv(file.path(root, "data", file), stringsAsFactors = FALSE, na.strings = "NA",
                check.names = FALSE)
  if (factors) for (nm in names(d)) if (is.character(d[[nm]])) {
    lv <- sort(unique(d[[nm]][!is.na(d[[nm]])]), method = "radix") # byte order
    d[[nm]] <- factor(d[[nm]], levels = lv)
  }
  d
}

# ---------------------------------------------------------------------------
# Synthetic data sets
# ---------------------------------------------------------------------------

make_g4 <- function() {
  set.seed(20240101)
  np <- 1000
  muni <- c("Amsterdam", "Rotterdam", "Den Haag", "Utrecht")
  bands <- c("18-26", "27-34", "35-44", "45-54", "55-66")
  lo <- c(18L, 27L, 35L, 45L, 55L); hi <- c(26L, 34L, 44L, 54L, 66L)
  p <- data.frame(
    rin = sort(sample(1000000:9999999, np)),
    municipality = sample(muni, np, TRUE, c(.35, .30, .20, .15)),
    band = sample(1:5, np, TRUE, c(.15, .20, .25, .22, .18)),
    sex = sample(c("man", "vrouw"), np, TRUE),
    migration = sample(c("Nederlands", "Westers", "niet-Westers"), np, TRUE, c(.40, .15, .45)),
    u = rnorm(np), ndates = sample(1:5, np, TRUE, c(.15, .20, .30, .20, .15)),
    stringsAsFactors = FALSE)
  p$age0 <- lo[p$band] + vapply(p$band, function(b) sample.int(hi[b] - lo[b] + 1L, 1L) - 1L, integer(1))
  p$first <- vapply(p$ndates, function(k) sample.int(9L - k + 1L, 1L), integer(1))
  dates <- format(seq(as.Date("2018-01-01"), by = "6 months", length.out = 9))
  idx <- rep(seq_len(np), p$ndates)
  k <- sequence(p$ndates) - 1L
  d <- p[idx, ]
  d$peildatum <- dates[d$first + k]
  d$age <- d$age0 + (d$first + k - 1L) %/% 2L
  d$age_band <- bands[findInterval(d$age, lo)]
  d$age_band[d$age > 66L] <- "55-66"
  d$age <- pmin(d$age, 67L)
  n <- nrow(d)
  d$duration <- sample(c("< 1 jaar", "1-2 jaar", "> 2 jaar"), n, TRUE, c(.24, .06, .70))
  eff <- function(x, lv, e) e[match(x, lv)]
  eta <- 1.1 + eff(d$municipality, muni, c(0, .15, -.2, -.3)) +
    eff(d$age_band, bands, c(0, .2, .35, .5, .6)) + .1 * (d$sex == "vrouw") +
    eff(d$migration, c("Nederlands", "Westers", "niet-Westers"), c(0, -.1, .3)) +
    .25 * (d$sex == "vrouw" & d$migration == "niet-Westers") +
    eff(d$duration, c("< 1 jaar", "1-2 jaar", "> 2 jaar"), c(-1, -.4, 0)) + d$u
  d$bijstand_12m <- rbinom(n, 1, plogis(eta))
  d$uitstroom <- ifelse(rbinom(n, 1, plogis(-1 + .03 * (40 - d$age) + .3 * (d$municipality == "Utrecht") + d$u / 2)) == 1, "ja", "nee")
  d$werk <- rbinom(n, 1, plogis(-1.2 + .4 * (d$sex == "man") - .02 * (d$age - 40) + eff(d$age_band, bands, c(.3, .2, 0, -.2, -.6))))
  d$inkomen <- round(1200 + 12 * d$age + 150 * (d$sex == "man") + eff(d$municipality, muni, c(80, 0, -40, 60)) + rnorm(n, 0, 300), 2)
  d$migration[runif(n) < .04] <- NA
  d$inkomen[runif(n) < .02] <- NA
  d <- d[order(d$peildatum, d$rin), c("rin", "peildatum", "municipality", "age", "age_band", "sex", "migration",
                                      "duration", "bijstand_12m", "uitstroom", "werk", "inkomen")]
  rownames(d) <- NULL
  d$rin <- as.integer(d$rin)
  d
}

make_persons <- function() {
  set.seed(20240202)
  np <- 2600
  p <- data.frame(
    rin = sort(sample(1000000:9999999, np)),
    k = sample(1:3, np, TRUE, c(.5, .3, .2)),
    age0 = sample(18:64, np, TRUE),
    sex = sample(c("man", "vrouw"), np, TRUE),
    education = sample(c("laag", "middelbaar", "hoog"), np, TRUE, c(.35, .35, .30)),
    regio = sample(c("Noord", "Oost", "West", "Zuid"), np, TRUE, c(.2, .25, .3, .25)),
    u = rnorm(np, 0, .8), stringsAsFactors = FALSE)
  p$y0 <- 2017L + vapply(p$k, function(k) sample.int(5L - k + 1L, 1L) - 1L, integer(1))
  idx <- rep(seq_len(np), p$k)
  j <- sequence(p$k) - 1L
  d <- p[idx, ]
  d$year <- as.integer(d$y0 + j)
  d$age <- as.integer(d$age0 + j)
  n <- nrow(d)
  d$partner <- rbinom(n, 1, .45)
  d$income <- round(exp(rnorm(n, 7.6 + .01 * (d$age - 40), .45)), 2)
  ye <- c(`2017` = 0, `2018` = .1, `2019` = .25, `2020` = -.2, `2021` = .05)
  eta <- -2.2 + .16 * d$age - .0019 * d$age^2 + .6 * (log(d$income) - 7.6) + ye[as.character(d$year)] -
    .4 * (d$sex == "vrouw") + .012 * (d$sex == "vrouw") * (d$age - 40) +
    c(hoog = .6, laag = -.5, middelbaar = 0)[d$education] + .3 * d$partner + d$u
  d$werk <- rbinom(n, 1, plogis(eta))
  d$income[runif(n) < .05] <- NA
  d <- d[, c("rin", "year", "age", "sex", "education", "regio", "partner", "income", "werk")]
  rownames(d) <- NULL
  d$rin <- as.integer(d$rin); d$partner <- as.integer(d$partner); d$werk <- as.integer(d$werk)
  d
}

# Split episodes for a piecewise-constant hazard of exit to work (seed 003):
# one row per person x period x training status, exposure in days at risk.
make_episodes <- function() {
  set.seed(20240303)
  np <- 700
  cuts <- c(0, 91, 182, 273, 365, 547, 730)
  labs <- c("0-91", "91-182", "182-273", "273-365", "365-547", "547+")
  base <- c(.0016, .0024, .0026, .0022, .0016, .0012) # per day
  p <- data.frame(rin = sort(sample(1000000:9999999, np)),
                  sex = sample(c("man", "vrouw"), np, TRUE),
                  ageclass = sample(c("<27", "27-34", "35+"), np, TRUE, c(.45, .3, .25)),
                  earlier = rbinom(np, 1, .3), stringsAsFactors = FALSE)
  p$ttr <- ifelse(runif(np) < .4, sample(20:330, np, TRUE), Inf) # training start (day)
  p$cens <- sample(150:730, np, TRUE)                            # end of follow-up (day)
  rows <- list()
  for (i in seq_len(np)) {
    mult <- exp(.35 * (p$sex[i] == "man") + c(`<27` = .2, `27-34` = 0, `35+` = -.3)[[p$ageclass[i]]] + .2 * p$earlier[i])
    bnd <- sort(unique(c(cuts[cuts < p$cens[i]], if (p$ttr[i] < p$cens[i]) p$ttr[i], p$cens[i])))
    t_exit <- p$cens[i]; ev <- 0L
    for (s in seq_len(length(bnd) - 1)) {
      a <- bnd[s]; b <- bnd[s + 1]
      per <- findInterval(a, cuts)
      tr <- as.integer(a >= p$ttr[i])
      rate <- base[per] * mult * exp(.5 * tr)
      t <- a + rexp(1, rate)
      if (t < b) { t_exit <- max(a + 1, ceiling(t)); ev <- 1L; break }
    }
    # pieces up to the exit day (integer days, at least 1 day each)
    bnd2 <- sort(unique(c(bnd[bnd < t_exit], t_exit)))
    for (s in seq_len(length(bnd2) - 1)) {
      a <- bnd2[s]; b <- bnd2[s + 1]
      rows[[length(rows) + 1]] <- data.frame(
        rin = p$rin[i], period = labs[findInterval(a, cuts)], exposure = as.integer(b - a),
        event = if (b == t_exit) ev else 0L, training = as.integer(a >= p$ttr[i]),
        sex = p$sex[i], ageclass = p$ageclass[i], earlier = as.integer(p$earlier[i]),
        stringsAsFactors = FALSE)
    }
  }
  d <- do.call(rbind, rows)
  d$rin <- as.integer(d$rin); d$event <- as.integer(d$event)
  stopifnot(all(d$exposure >= 1L))
  d
}

make_survey <- function() {
  set.seed(20240404)
  n <- 2500
  d <- data.frame(buurt = sample(1:120, n, TRUE),
                  age = sample(18:66, n, TRUE),
                  sex = sample(c("man", "vrouw"), n, TRUE),
                  migration = sample(c("Nederlands", "Westers", "niet-Westers"), n, TRUE, c(.5, .15, .35)),
                  stringsAsFactors = FALSE)
  be <- rnorm(120, 0, .5)
  d$w <- round(exp(rnorm(n, .3 * (d$migration == "niet-Westers") + .2 * (d$age < 30), .5)), 4)
  eta <- -3 + .17 * d$age - .002 * d$age^2 + .3 * (d$sex == "man") +
    c(Nederlands = .3, Westers = 0, `niet-Westers` = -.4)[d$migration] + be[d$buurt]
  d$werk <- rbinom(n, 1, plogis(eta))
  d$buurt <- as.integer(d$buurt); d$age <- as.integer(d$age); d$werk <- as.integer(d$werk)
  stopifnot(any(d$w != round(d$w)))
  d
}

make_freq <- function() {
  set.seed(20240505)
  n <- 800
  d <- data.frame(w = sample(1:5, n, TRUE),
                  age = sample(18:66, n, TRUE),
                  sex = sample(c("man", "vrouw"), n, TRUE),
                  education = sample(c("laag", "middelbaar", "hoog"), n, TRUE),
                  stringsAsFactors = FALSE)
  d$uren <- round(20 + .2 * (d$age - 40) + 6 * (d$sex == "man") +
                  c(hoog = 4, laag = -3, middelbaar = 0)[d$education] + rnorm(n, 0, 7), 1)
  d$werk <- rbinom(n, 1, plogis(-.5 + .02 * (d$age - 40) + .5 * (d$sex == "man") + c(hoog = .7, laag = -.4, middelbaar = 0)[d$education]))
  d$w <- as.integer(d$w); d$age <- as.integer(d$age); d$werk <- as.integer(d$werk)
  d
}

make_collinear <- function() {
  set.seed(20240606)
  n <- 600
  x1 <- round(rnorm(n) * 4) / 4
  x2 <- round(rnorm(n, 2) * 4) / 4
  a <- sample(c("A", "B", "C"), n, TRUE)
  b <- sample(c("X", "Y", "Z"), n, TRUE)
  empty <- a == "C" & b == "Z" # the empty cell of a:b
  b[empty] <- sample(c("X", "Y"), sum(empty), TRUE)
  d <- data.frame(x1 = x1, x2 = x2, x3 = x1 + 2 * x2, a = a, b = b, stringsAsFactors = FALSE)
  stopifnot(all(d$x3 == d$x1 + 2 * d$x2))
  mu <- 1 + .5 * x1 - .3 * x2 + c(A = 0, B = .4, C = -.2)[a] + c(X = 0, Y = .3, Z = .1)[b] + .3 * (a == "B" & b == "Y")
  d$y <- round(mu + rnorm(n), 6)
  d$yb <- as.integer(rbinom(n, 1, plogis(mu - 1)))
  d
}

make_separation <- function() {
  set.seed(20240707)
  n <- 500
  g <- sample(c("A", "B", "C", "D"), n, TRUE, c(.3, .3, .3, .1))
  z <- round(rnorm(n), 6)
  y_f <- rbinom(n, 1, plogis(-.3 + .5 * z + c(A = 0, B = .4, C = -.3, D = 0)[g]))
  y_f[g == "D"] <- 1L
  x <- round(rnorm(n), 6)
  x[x == 0] <- 0.25
  data.frame(g = g, z = z, x = x, y_f = as.integer(y_f), y_n = as.integer(x > 0), stringsAsFactors = FALSE)
}

datasets <- list(g4 = make_g4, persons = make_persons, episodes = make_episodes, survey = make_survey,
                 freq = make_freq, collinear = make_collinear, separation = make_separation)
for (nm in names(datasets)) write_data(datasets[[nm]](), nm)

# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

case <- function(name, data, formula, family, link, weights = "", weight_type = "", where = "",
                 ref = "", cluster = "", margins = "", ame = FALSE, expect = "ok", expect_terms = "", note = "")
  list(name = name, data = data, formula = formula, family = family, link = link, weights = weights,
       weight_type = weight_type, where = where, ref = ref, cluster = cluster, margins = margins,
       ame = ame, expect = expect, expect_terms = expect_terms, note = note)

cases <- list(
  case("lpm_g4", "g4", "bijstand_12m ~ municipality + age_band + sex * migration", "gaussian", "identity",
       ref = "municipality=Rotterdam", cluster = "rin", margins = "municipality", ame = TRUE,
       note = "linear probability model, G4 comparison; persons recur across reference dates; migration has missing values"),
  case("g4_logit", "g4", "bijstand_12m ~ municipality + age_band + sex * migration + duration", "binomial", "logit",
       ref = "municipality=Den Haag, sex=vrouw", cluster = "rin", margins = "municipality", ame = TRUE,
       note = "logit version with benefit duration classes; two reference levels, one with a space"),
  case("enum_outcome", "g4", "uitstroom ~ municipality + sex + age", "binomial", "logit", margins = "municipality",
       note = "text outcome ja/nee: the first level in byte order (ja) is 0, nee is 1"),
  case("no_intercept_gaussian", "g4", "inkomen ~ municipality + sex + age - 1", "gaussian", "identity",
       note = "no intercept: every level of the first factor is coded, the second factor keeps its reference"),
  case("no_intercept_binomial", "g4", "werk ~ age_band + sex - 1", "binomial", "logit",
       note = "no intercept, binomial: null deviance is against mu = 0.5, df_null = n"),
  case("filter_drops_level", "g4", "bijstand_12m ~ municipality + sex + age", "binomial", "logit",
       where = "municipality in (\"Den Haag\", \"Rotterdam\", \"Utrecht\") & age >= 25",
       note = "the filter removes Amsterdam: R drops the unused level, Den Haag becomes the reference"),
  case("logit_mix", "persons", "werk ~ age + I(age^2) + log(income) + factor(year) + sex + education + partner + age:sex",
       "binomial", "logit", where = "age <= 64 & regio in (\"Noord\", \"Oost\", \"Zuid\")",
       ref = "education=middelbaar", cluster = "rin", margins = "education", ame = TRUE,
       note = "numeric, polynomial, log, factor(year), enums, numeric x enum interaction, 0/1 integer covariate"),
  case("probit", "persons", "werk ~ age + log(income) + sex + education + partner", "binomial", "probit",
       where = "income is not missing & regio != \"West\"", cluster = "rin", margins = "sex", ame = TRUE,
       note = "probit link; the filter removes the missing incomes, so n_missing = 0"),
  case("cloglog", "persons", "werk ~ age + I(age^2) + sex * education", "binomial", "cloglog",
       where = "!(education == \"laag\") | age < 30", cluster = "rin", margins = "education", ame = TRUE,
       note = "cloglog link; filter with ! and |"),
  case("where_missing", "persons", "werk ~ age + sex + education", "binomial", "logit",
       where = "income is missing",
       note = "filter on a missing value"),
  case("poisson_offset", "episodes", "event ~ period + training + sex + ageclass + earlier + offset(log(exposure))",
       "poisson", "log", cluster = "rin", margins = "ageclass", ame = TRUE,
       note = "piecewise-constant hazard on split episodes (days at risk); null deviance refits the intercept with the offset"),
  case("weights_sampling", "survey", "werk ~ age + I(age^2) + sex + migration", "binomial", "logit",
       weights = "w", weight_type = "sampling", cluster = "buurt", margins = "migration", ame = TRUE,
       note = "non-integer sampling weights: no model-based SEs, no AIC/log-likelihood"),
  case("weights_frequency_gaussian", "freq", "uren ~ age + sex + education", "gaussian", "identity",
       weights = "w", weight_type = "frequency", margins = "education",
       note = "integer frequency weights: values are those of the data with each row repeated w times"),
  case("weights_frequency_logit", "freq", "werk ~ age + sex + education", "binomial", "logit",
       weights = "w", weight_type = "frequency", margins = "sex", ame = TRUE,
       note = "integer frequency weights, logit"),
  case("rank_deficient", "collinear", "y ~ x1 + x2 + x3 + a * b", "gaussian", "identity", expect = "aliased",
       note = "x3 = x1 + 2*x2 exactly, and the cell a=C, b=Z is empty"),
  case("rank_deficient_logit", "collinear", "yb ~ x1 + x2 + x3 + a * b", "binomial", "logit", expect = "aliased",
       note = "the same design in a logit"),
  case("separated_factor", "separation", "y_f ~ z + g", "binomial", "logit", expect = "separation",
       expect_terms = "gD", note = "level D of g has only y = 1 (quasi-complete separation)"),
  case("separated_numeric", "separation", "y_n ~ x + z", "binomial", "logit", expect = "separation",
       expect_terms = "x", note = "y = 1 exactly when x > 0 (complete separation)")
)

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

where_to_r <- function(s) {
  s <- gsub("([A-Za-z_.][A-Za-z0-9_.]*) is not missing", "!is.na(\\1)", s)
  s <- gsub("([A-Za-z_.][A-Za-z0-9_.]*) is missing", "is.na(\\1)", s)
  gsub(" in \\(", " %in% c(", s)
}

parse_ref <- function(s) {
  if (s == "") return(list())
  out <- list()
  for (p in strsplit(s, ",")[[1]]) {
    kv <- strsplit(p, "=")[[1]]
    out[[trimws(kv[1])]] <- trimws(kv[2])
  }
  out
}

# d mu.eta / d eta for each link (R's mu.eta clamps at DBL_EPSILON only far out in
# the tails; the cases keep |eta| small enough for that never to apply).
mu_eta2 <- function(link, eta) switch(link,
  identity = rep(0, length(eta)),
  logit = { m <- plogis(eta); m * (1 - m) * (1 - 2 * m) },
  probit = -eta * dnorm(eta),
  cloglog = exp(eta - exp(eta)) * (1 - exp(eta)),
  log = exp(eta))

fmt <- function(v) ifelse(is.na(v), "NA", sprintf("%.17g", v))

strip_I <- function(e) {
  if (is.call(e)) {
    if (identical(e[[1]], as.name("I"))) return(strip_I(e[[2]]))
    for (i in seq_along(e)[-1]) e[[i]] <- strip_I(e[[i]])
  }
  e
}

# ---------------------------------------------------------------------------
# One case
# ---------------------------------------------------------------------------

run_case <- function(cs) {
  out <- list()
  add <- function(what, term, value) out[[length(out) + 1]] <<- data.frame(what = what, term = term, value = fmt(value))

  d0 <- read_data(paste0(cs$data, ".csv"))
  for (col in names(refs <- parse_ref(cs$ref))) {
    stopifnot(is.factor(d0[[col]]), refs[[col]] %in% levels(d0[[col]]))
    d0[[col]] <- relevel(d0[[col]], ref = refs[[col]])
  }
  d1 <- d0
  if (cs$where != "") {
    keep <- eval(parse(text = where_to_r(cs$where)), d0, baseenv())
    d1 <- d0[!is.na(keep) & keep, , drop = FALSE]
  }
  n_filtered <- nrow(d0) - nrow(d1)
  freq <- cs$weight_type == "frequency"
  samp <- cs$weight_type == "sampling"
  if (freq) {
    stopifnot(!anyNA(d1), n_filtered == 0) # row and weighted counts of dropped rows coincide only then
    d1 <- d1[rep(seq_len(nrow(d1)), d1[[cs$weights]]), , drop = FALSE]
  }
  fam <- get(cs$family)(link = cs$link)
  f <- as.formula(cs$formula)
  wname <- if (samp) as.name(cs$weights) else NULL
  allowed <- c(if (samp) "non-integer #successes in a binomial glm!",
               if (cs$expect == "separation") c("fitted probabilities numerically 0 or 1 occurred",
                                                "algorithm did not converge"))
  glm_call <- function(start = NULL)
    allow_warnings(eval(bquote(glm(.(f), family = fam, data = d1, weights = .(wname), start = .(start)))), allowed)

  fit0 <- glm_call()
  used <- if (is.null(fit0$na.action)) seq_len(nrow(d1)) else seq_len(nrow(d1))[-fit0$na.action]
  du <- d1[used, , drop = FALSE]
  n_missing <- nrow(d1) - nrow(du)
  nobs <- nrow(du)

  if (cs$expect == "separation") {
    # R does not stop: it reports huge coefficients with huge standard errors.
    sep <- trimws(strsplit(cs$expect_terms, ",")[[1]])
    s0 <- summary(fit0)$coefficients
    stopifnot(all(abs(coef(fit0)[sep]) > 10), all(s0[sep, "Std. Error"] > 100))
    add("nobs", "", nobs)
    return(list(rows = do.call(rbind, out), conv = NULL))
  }

  # Iterate R's IRLS to the MLE: restart from the previous coefficients until
  # they stop changing (each restart is at least one more IRLS step; glm's QR
  # tolerance min(1e-7, epsilon/1000) stays at its default 1e-11).
  fit <- fit0
  rounds <- 0
  if (cs$family != "gaussian") repeat {
    b <- coef(fit); b[is.na(b)] <- 0
    nf <- glm_call(start = b)
    rounds <- rounds + 1
    ch <- max(abs(coef(nf) - coef(fit)) / pmax(abs(coef(fit)), 1e-3), na.rm = TRUE)
    fit <- nf
    if (ch < 1e-13 || rounds >= 25) break
  }
  stopifnot(fit$converged, identical(is.na(coef(fit)), is.na(coef(fit0))))
  rd <- function(a, b) signif(max(abs(a - b) / abs(b), na.rm = TRUE), 3)
  conv <- data.frame(case = cs$name, default_iter = fit0$iter, restarts = rounds,
                     max_rel_diff_coef = rd(coef(fit0), coef(fit)),
                     max_rel_diff_se_model = if (samp) NA else rd(sqrt(diag(vcov(fit0))), sqrt(diag(vcov(fit)))),
                     max_rel_diff_se_hc1 = rd(sqrt(diag(vcovHC(fit0, type = "HC1"))), sqrt(diag(vcovHC(fit, type = "HC1")))),
                     rel_diff_deviance = rd(fit0$deviance, fit$deviance))

  b_all <- coef(fit)
  alias <- is.na(b_all)
  b <- b_all[!alias]
  terms_all <- names(b_all)
  for (t in terms_all) add("coef", t, b_all[[t]])

  sx <- summary(fit)
  V <- list()
  if (!samp) V$model <- sx$cov.scaled
  V$hc0 <- vcovHC(fit, type = "HC0")
  V$hc1 <- vcovHC(fit, type = "HC1")
  if (!freq) V$hc3 <- vcovHC(fit, type = "HC3")
  if (cs$cluster != "" && !freq) V$cl <- vcovCL(fit, cluster = du[[cs$cluster]], type = "HC1", cadjust = TRUE)
  for (k in names(V)) {
    stopifnot(identical(rownames(V[[k]]), names(b)))
    se <- setNames(rep(NA_real_, length(terms_all)), terms_all)
    se[names(b)] <- sqrt(diag(V[[k]]))
    for (t in terms_all) add(paste0("se_", k), t, se[[t]])
  }

  add("deviance", "", fit$deviance)
  add("null_deviance", "", fit$null.deviance)
  if (!samp) {
    add("aic", "", fit$aic)
    add("loglik", "", as.numeric(logLik(fit)))
  }
  add("df_residual", "", fit$df.residual)
  add("df_null", "", fit$df.null)
  add("dispersion", "", sx$dispersion)
  add("nobs", "", nobs)
  add("n_missing", "", n_missing)
  add("n_filtered", "", n_filtered)
  add("iter", "", fit0$iter)
  add("rank", "", fit$rank)

  # Independent checks of R's scalars.
  if (cs$name == "poisson_offset") {
    mu0 <- du$exposure * sum(du$event) / sum(du$exposure) # intercept-only MLE with the offset
    nd <- 2 * sum(ifelse(du$event > 0, du$event * log(du$event / mu0), 0) - (du$event - mu0))
    stopifnot(abs(nd - fit$null.deviance) < 1e-10 * nd)
  }

  # Model matrices for counterfactual data (the used rows with one column set).
  tt <- delete.response(terms(fit))
  mm <- function(nd) {
    mf <- model.frame(tt, nd, xlev = fit$xlevels, na.action = na.pass)
    X <- model.matrix(tt, mf, contrasts.arg = fit$contrasts)[, names(b), drop = FALSE]
    off <- model.offset(mf)
    list(X = X, off = if (is.null(off)) rep(0, nrow(X)) else off)
  }
  w <- fit$prior.weights
  W <- sum(w)
  base <- mm(du)
  eta <- drop(base$X %*% b) + base$off
  stopifnot(max(abs(eta - fit$linear.predictors)) < 1e-9 * max(1, abs(eta)))
  Vd <- V[intersect(c("model", "hc1", "cl"), names(V))]
  se_of <- function(g) vapply(Vd, function(v) sqrt(drop(t(g) %*% v %*% g)), numeric(1))

  # Mean prediction with a categorical column set to one level, and its gradient.
  level_mean <- function(col, lev) {
    nd <- du
    if (is.factor(du[[col]])) nd[[col]] <- factor(rep(lev, nrow(nd)), levels = levels(du[[col]]))
    else nd[[col]] <- rep(as(lev, class(du[[col]])), nrow(nd))
    m <- mm(nd)
    e <- drop(m$X %*% b) + m$off
    fun <- function(bb) sum(w * fam$linkinv(drop(m$X %*% bb) + m$off)) / W
    list(value = fun(b), grad = colSums(w * fam$mu.eta(e) * m$X) / W, fun = fun)
  }
  check_grad <- function(fun, g) {
    for (j in seq_along(b)) {
      h <- 1e-4 / max(1, abs(base$X[, j]))
      bp <- b; bp[j] <- b[j] + h; bm <- b; bm[j] <- b[j] - h
      num <- (fun(bp) - fun(bm)) / (2 * h)
      if (abs(num - g[j]) > 1e-6 * max(1e-3, abs(g[j]))) stop(cs$name, ": gradient check failed for ", names(b)[j])
    }
  }

  # Marginal standardisation over the levels of a categorical column.
  if (cs$margins != "") {
    col <- cs$margins
    stopifnot(is.factor(du[[col]]))
    levs <- fit$xlevels[[col]]
    ms <- lapply(levs, function(l) level_mean(col, l)); names(ms) <- levs
    for (l in levs) {
      p <- predict(fit, newdata = { nd <- du; nd[[col]] <- factor(rep(l, nrow(nd)), levels = levels(du[[col]])); nd }, type = "response")
      stopifnot(abs(sum(w * p) / W - ms[[l]]$value) < 1e-12)
      check_grad(ms[[l]]$fun, ms[[l]]$grad)
    }
    for (l in levs) add("margin", l, ms[[l]]$value)
    for (k in names(Vd)) for (l in levs) add(paste0("margin_se_", k), l, se_of(ms[[l]]$grad)[[k]])
    r <- levs[1]
    for (l in levs[-1]) add("diff", l, ms[[l]]$value - ms[[r]]$value)
    for (k in names(Vd)) for (l in levs[-1]) add(paste0("diff_se_", k), l, se_of(ms[[l]]$grad - ms[[r]]$grad)[[k]])
  }

  # Average marginal effects of every data column on the right-hand side
  # (columns that appear only in an offset are left out).
  if (cs$ame) {
    stopifnot(max(abs(eta)) < 15)
    vars <- as.list(attr(tt, "variables"))[-1]
    vlabels <- vapply(vars, function(v) paste(deparse(v), collapse = ""), "")
    keepv <- which(!startsWith(vlabels, "offset("))
    cols <- unique(unlist(lapply(vars[keepv], all.vars)))
    mf <- model.frame(fit)
    ame <- list()
    for (col in cols) {
      in_factor <- any(vapply(vars[keepv], function(v) is.call(v) && identical(v[[1]], as.name("factor")) && col %in% all.vars(v), TRUE))
      if (is.factor(du[[col]]) || in_factor) {
        key <- if (in_factor) paste0("factor(", col, ")") else col
        levs <- fit$xlevels[[key]]
        r <- level_mean(col, levs[1])
        for (l in levs[-1]) {
          m <- level_mean(col, l)
          fun <- function(bb) m$fun(bb) - r$fun(bb)
          g <- m$grad - r$grad
          check_grad(fun, g)
          ame[[paste0(col, l)]] <- list(value = m$value - r$value, grad = g)
        }
      } else {
        # d eta / d col, row by row: the model matrix is linear in each variable
        # of a term, so dX = sum over the variables v that use col of
        # X(v := dv/dcol) - X(v := 0), with dv/dcol symbolic (stats::D).
        dX <- 0
        for (i in keepv) {
          v <- vars[[i]]
          if (!(col %in% all.vars(v))) next
          if (is.factor(mf[[vlabels[i]]])) stop(cs$name, ": ", col, " used as numeric and categorical")
          dv <- eval(D(strip_I(v), col), du, baseenv())
          if (length(dv) == 1) dv <- rep(dv, nrow(du))
          m1 <- mf; m1[[vlabels[i]]] <- dv
          m0 <- mf; m0[[vlabels[i]]] <- 0
          X1 <- model.matrix(terms(fit), m1, contrasts.arg = fit$contrasts)[, names(b), drop = FALSE]
          X0 <- model.matrix(terms(fit), m0, contrasts.arg = fit$contrasts)[, names(b), drop = FALSE]
          dX <- dX + (X1 - X0)
        }
        X <- base$X
        de <- drop(dX %*% b)
        value <- sum(w * fam$mu.eta(eta) * de) / W
        g <- colSums(w * (mu_eta2(cs$link, eta) * de * X + fam$mu.eta(eta) * dX)) / W
        fun <- function(bb) sum(w * fam$mu.eta(drop(X %*% bb) + base$off) * drop(dX %*% bb)) / W
        check_grad(fun, g)
        # Check the derivative itself against Richardson-extrapolated central differences.
        pm <- function(h) { nd <- du; nd[[col]] <- nd[[col]] + h; m <- mm(nd); sum(w * fam$linkinv(drop(m$X %*% b) + m$off)) / W }
        h <- 1e-3 * max(1, sd(du[[col]]))
        D1 <- (pm(h) - pm(-h)) / (2 * h); D2 <- (pm(h / 2) - pm(-h / 2)) / h
        num <- (4 * D2 - D1) / 3
        if (abs(num - value) > 1e-8 * max(1e-6, abs(value))) stop(cs$name, ": AME check failed for ", col)
        ame[[col]] <- list(value = value, grad = g)
      }
    }
    for (nm in names(ame)) add("ame", nm, ame[[nm]]$value)
    for (k in names(Vd)) for (nm in names(ame)) add(paste0("ame_se_", k), nm, se_of(ame[[nm]]$grad)[[k]])
  }

  list(rows = do.call(rbind, out), conv = conv)
}

# ---------------------------------------------------------------------------
# Run every case; write cases.ini, expected/<case>.csv, convergence.csv
# ---------------------------------------------------------------------------

ini <- c("; GLM test cases for peil; generated by tests/reference/glm_reference.R, do not edit.",
         "; Formats and the meaning of every key: tests/reference/glm/README.md.", "")
convs <- list()
for (cs in cases) {
  res <- run_case(cs)
  rows <- res$rows
  if (any(grepl("[,\"]", rows$term))) stop(cs$name, ": a term name with a comma or quote")
  write.csv(rows, file.path(root, "expected", paste0(cs$name, ".csv")), row.names = FALSE, quote = FALSE)
  if (!is.null(res$conv)) convs[[length(convs) + 1]] <- res$conv
  expect_terms <- cs$expect_terms
  if (cs$expect == "aliased") expect_terms <- paste(rows$term[rows$what == "coef" & rows$value == "NA"], collapse = ", ")
  ini <- c(ini, paste0("; ", cs$note), paste0("[", cs$name, "]"),
           paste0("data = ", cs$data, ".csv"),
           paste0("formula = ", cs$formula),
           paste0("family = ", cs$family),
           paste0("link = ", cs$link),
           paste0("weights = ", cs$weights),
           paste0("weight_type = ", cs$weight_type),
           paste0("where = ", cs$where),
           paste0("ref = ", cs$ref),
           paste0("cluster = ", cs$cluster),
           paste0("margins = ", cs$margins),
           paste0("ame = ", tolower(as.character(cs$ame))),
           paste0("expect = ", cs$expect),
           paste0("expect_terms = ", expect_terms), "")
  cat(sprintf("%-28s %4d rows\n", cs$name, nrow(rows)))
}
writeLines(ini, file.path(root, "cases.ini"))
conv <- do.call(rbind, convs)
write.csv(conv, file.path(root, "convergence.csv"), row.names = FALSE, quote = FALSE)
print(conv, row.names = FALSE)
