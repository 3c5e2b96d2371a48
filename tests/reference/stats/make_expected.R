# Reference values for peil's tests and intervals (src/stats/, `peil test`):
# prop.test, binom.test, chisq.test, fisher.test, t.test, wilcox.test and
# pwilcox of R's stats package, on numbers and on a small data set.
#
# Run from the repository root:   Rscript tests/reference/stats/make_expected.R
#
# Writes  tests/reference/stats/cases.ini     one section per case: its inputs
#                                             and R's results
#         tests/reference/stats/data/trial.csv the data set of the data cases
# The format is described in tests/reference/stats/README.md.
#
# Deterministic: running it twice leaves `git diff` empty. Numbers are
# written with sprintf("%.17g"), which reads back to the same double; the
# data cases are computed from the CSV file as read back.

invisible(Sys.setlocale("LC_COLLATE", "C")) # factor levels in byte order, as peil
if (getRversion() != "4.2.2") stop("R 4.2.2 expected, found ", getRversion())
root <- file.path("tests", "reference", "stats")
if (!dir.exists(root)) stop("run from the repository root")
dir.create(file.path(root, "data"), showWarnings = FALSE)

num <- function(v) {
  v <- as.numeric(v)
  paste(ifelse(is.na(v), "NA", ifelse(is.infinite(v), ifelse(v > 0, "Inf", "-Inf"), sprintf("%.17g", v))),
        collapse = ",")
}

# Inputs: the shortest of 15, 16, 17 significant digits that reads back to
# the same double (0.95 stays 0.95).
num_short <- function(v) {
  paste(vapply(as.numeric(v), function(x) {
    for (dg in 15:17) {
      s <- sprintf("%.*g", dg, x)
      if (as.numeric(s) == x) break
    }
    s
  }, ""), collapse = ",")
}

out <- character()
# Lines stay under 160 characters (peil's INI reader takes 199): a long
# list goes on indented continuation lines, which the reader joins.
emit <- function(...) {
  line <- paste0(...)
  while (nchar(line) > 160) {
    cut <- max(gregexpr(",", substr(line, 1, 160), fixed = TRUE)[[1]])
    if (cut < 1) break
    out <<- c(out, substr(line, 1, cut))
    line <- paste0("  ", substring(line, cut + 1))
  }
  out <<- c(out, line)
}
ncase <- 0

# One case: its inputs (a named list, written as given) and the htest R
# returns, with the warnings it gave.
case <- function(name, inputs, call) {
  warns <- character()
  res <- withCallingHandlers(call, warning = function(w) {
    warns <<- c(warns, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  emit("[", name, "]")
  for (k in names(inputs)) {
    v <- inputs[[k]]
    emit(k, " = ", if (is.numeric(v)) num_short(v) else paste(v, collapse = ","))
  }
  emit("method = ", res$method)
  if (!is.null(res$statistic)) emit("statistic = ", num(res$statistic))
  if (!is.null(res$parameter)) emit("parameter = ", num(res$parameter))
  emit("p_value = ", num(res$p.value))
  if (!is.null(res$estimate)) emit("estimate = ", num(res$estimate))
  if (!is.null(res$conf.int)) {
    emit("conf_low = ", num(res$conf.int[1]))
    emit("conf_high = ", num(res$conf.int[2]))
  }
  if (!is.null(res$null.value)) emit("null_value = ", num(res$null.value))
  if (!is.null(res$alternative) && grepl("proportions", res$method) && length(res$estimate) <= 2 &&
      !is.null(res$statistic)) {
    # the z statistic peil reports beside X-squared: the signed root
    d <- if (length(res$estimate) == 2) res$estimate[1] - res$estimate[2] else res$estimate - res$null.value
    if (length(res$estimate) == 1 || is.null(res$null.value)) emit("z = ", num(sign(d) * sqrt(res$statistic)))
  }
  if (!is.null(res$expected)) {
    emit("expected = ", num(t(res$expected)))   # row-major
    emit("residuals = ", num(t(res$residuals)))
    emit("stdres = ", num(t(res$stdres)))
  }
  if (!is.null(res$stderr)) emit("std_error = ", num(res$stderr))
  emit("warnings = ", paste(warns, collapse = " | "))
  emit("")
  ncase <<- ncase + 1
}

alts <- c("two.sided", "less", "greater")

# ---------------------------------------------------------------------------
# prop.test
# ---------------------------------------------------------------------------
# The DOMAIN.md seed 004 example: 71 vs 55 exits of 300 each.
for (cor in c(FALSE, TRUE)) for (a in alts) for (cl in c(0.95, 0.9)) {
  case(sprintf("prop_seed004_%s_%s_%g", if (cor) "yates" else "z", a, cl),
       list(test = "prop", x = c(71, 55), n = c(300, 300), correct = as.integer(cor), alternative = a,
            conf_level = cl),
       prop.test(c(71, 55), c(300, 300), correct = cor, alternative = a, conf.level = cl))
}
# One sample: Wilson's interval, with and without correction.
for (cor in c(FALSE, TRUE)) for (a in alts) {
  case(sprintf("prop1_71_300_p02_%s_%s", if (cor) "yates" else "plain", a),
       list(test = "prop", x = 71, n = 300, p = 0.2, correct = as.integer(cor), alternative = a),
       prop.test(71, 300, p = 0.2, correct = cor, alternative = a))
}
for (cor in c(FALSE, TRUE)) {
  tag <- if (cor) "yates" else "plain"
  case(paste0("prop1_default_p_", tag), list(test = "prop", x = 12, n = 40, correct = as.integer(cor)),
       prop.test(12, 40, correct = cor))
  case(paste0("prop1_zero_", tag), list(test = "prop", x = 0, n = 25, correct = as.integer(cor)),
       prop.test(0, 25, correct = cor))
  case(paste0("prop1_all_", tag), list(test = "prop", x = 25, n = 25, correct = as.integer(cor)),
       prop.test(25, 25, correct = cor))
  case(paste0("prop1_half_", tag), list(test = "prop", x = 20, n = 40, correct = as.integer(cor)),
       prop.test(20, 40, correct = cor)) # |x - n p| = 0 caps the correction at 0
  case(paste0("prop1_small_", tag), list(test = "prop", x = 1, n = 8, p = 0.3, correct = as.integer(cor)),
       prop.test(1, 8, p = 0.3, correct = cor))
  case(paste0("prop1_large_", tag), list(test = "prop", x = 123456, n = 500000, p = 0.25, correct = as.integer(cor),
                                         conf_level = 0.99),
       prop.test(123456, 500000, p = 0.25, correct = cor, conf.level = 0.99))
  case(paste0("prop2_equal_", tag), list(test = "prop", x = c(10, 10), n = c(50, 50), correct = as.integer(cor)),
       prop.test(c(10, 10), c(50, 50), correct = cor)) # delta 0: no correction
  case(paste0("prop2_small_", tag), list(test = "prop", x = c(2, 5), n = c(10, 12), correct = as.integer(cor)),
       prop.test(c(2, 5), c(10, 12), correct = cor))
  case(paste0("prop2_close_", tag), list(test = "prop", x = c(30, 29), n = c(100, 100), correct = as.integer(cor)),
       prop.test(c(30, 29), c(100, 100), correct = cor)) # |delta| / sum(1/n) below 0.5
  case(paste0("prop2_large_", tag), list(test = "prop", x = c(71234, 70211), n = c(300000, 301000),
                                         correct = as.integer(cor), alternative = "greater"),
       prop.test(c(71234, 70211), c(300000, 301000), correct = cor, alternative = "greater"))
  case(paste0("prop2_given_", tag), list(test = "prop", x = c(71, 55), n = c(300, 300), p = c(0.2, 0.2),
                                         correct = as.integer(cor)),
       prop.test(c(71, 55), c(300, 300), p = c(0.2, 0.2), correct = cor))
}
case("prop3_equality", list(test = "prop", x = c(12, 20, 31), n = c(50, 55, 60)),
     prop.test(c(12, 20, 31), c(50, 55, 60)))
case("prop3_given", list(test = "prop", x = c(12, 20, 31), n = c(50, 55, 60), p = c(0.3, 0.35, 0.4)),
     prop.test(c(12, 20, 31), c(50, 55, 60), p = c(0.3, 0.35, 0.4)))
case("prop4_small", list(test = "prop", x = c(1, 3, 2, 4), n = c(9, 11, 10, 12)),
     prop.test(c(1, 3, 2, 4), c(9, 11, 10, 12)))

# ---------------------------------------------------------------------------
# binom.test
# ---------------------------------------------------------------------------
for (a in alts) {
  case(paste0("binom_71_300_p02_", a), list(test = "binom", x = 71, n = 300, p = 0.2, alternative = a),
       binom.test(71, 300, p = 0.2, alternative = a))
  case(paste0("binom_3_7_", a), list(test = "binom", x = 3, n = 7, alternative = a, conf_level = 0.9),
       binom.test(3, 7, alternative = a, conf.level = 0.9))
}
case("binom_71_300", list(test = "binom", x = 71, n = 300), binom.test(71, 300))
case("binom_zero", list(test = "binom", x = 0, n = 10), binom.test(0, 10))
case("binom_all", list(test = "binom", x = 10, n = 10, p = 0.8), binom.test(10, 10, p = 0.8))
case("binom_mode", list(test = "binom", x = 500, n = 1000), binom.test(500, 1000)) # x at the mode: p = 1
case("binom_above_mode", list(test = "binom", x = 9, n = 12, p = 0.3), binom.test(9, 12, p = 0.3))
case("binom_symmetric", list(test = "binom", x = 4, n = 20), binom.test(4, 20)) # tied outcomes across the mode
case("binom_p0", list(test = "binom", x = 0, n = 5, p = 0), binom.test(0, 5, p = 0))
case("binom_p1", list(test = "binom", x = 4, n = 5, p = 1), binom.test(4, 5, p = 1))
case("binom_large", list(test = "binom", x = 30512, n = 100000, p = 0.3, conf_level = 0.99),
     binom.test(30512, 100000, p = 0.3, conf.level = 0.99))
case("binom_tiny_p", list(test = "binom", x = 2, n = 4000, p = 0.01), binom.test(2, 4000, p = 0.01))

# ---------------------------------------------------------------------------
# chisq.test
# ---------------------------------------------------------------------------
tab <- function(rows) matrix(unlist(rows), nrow = length(rows), byrow = TRUE)
chis <- list(
  brief = list(c(12, 5, 7), c(3, 9, 11)),
  seed004 = list(c(71, 229), c(55, 245)),
  small2x2 = list(c(3, 1), c(1, 3)),
  closeyates = list(c(20, 21), c(20, 20)), # |x - E| < 0.5: Yates shrinks
  big = list(c(120, 95, 80, 61, 33), c(88, 102, 91, 70, 40), c(60, 71, 99, 84, 52), c(30, 41, 58, 77, 90)),
  fractional = list(c(10.5, 3.25), c(4, 12.75)),
  tiny_p = list(c(500, 20), c(30, 480))
)
for (nm in names(chis)) for (cor in c(FALSE, TRUE)) {
  m <- tab(chis[[nm]])
  if (!cor && !(nrow(m) == 2 && ncol(m) == 2)) next
  case(sprintf("chisq_%s_%s", nm, if (cor) "yates" else "plain"),
       list(test = "chisq", nrow = nrow(m), ncol = ncol(m), table = as.vector(t(m)), correct = as.integer(cor)),
       chisq.test(m, correct = cor))
}

# ---------------------------------------------------------------------------
# fisher.test
# ---------------------------------------------------------------------------
fishers <- list(
  tea = c(3, 1, 1, 3), a = c(10, 20, 30, 5), seed004 = c(71, 229, 55, 245), zero_a = c(0, 5, 3, 4),
  zero_d = c(7, 2, 5, 0), strong = c(100, 2, 3, 100), one = c(1, 0, 0, 1), even = c(5, 5, 5, 5),
  lopsided = c(2, 30, 9, 11), large = c(412, 1577, 389, 1622), empty_col = c(0, 5, 0, 3)
)
for (nm in names(fishers)) for (a in alts) {
  m <- matrix(fishers[[nm]], 2, byrow = TRUE)
  case(sprintf("fisher_%s_%s", nm, a), list(test = "fisher", table = fishers[[nm]], alternative = a),
       fisher.test(m, alternative = a))
}
# peil's --precise: the exact roots, here R's own function with uniroot's
# tolerance at 1e-14 instead of its default 1.2e-4.
tight <- function(...) { a <- list(...); a$tol <- 1e-14; do.call(uniroot, a) }
fisher_tight <- fisher.test
environment(fisher_tight) <- list2env(list(uniroot = tight), parent = environment(fisher.test))
for (nm in c("tea", "a", "seed004", "strong", "lopsided", "large")) for (a in alts) {
  case(sprintf("fisher_precise_%s_%s", nm, a), list(test = "fisher", table = fishers[[nm]], alternative = a, precise = 1),
       fisher_tight(matrix(fishers[[nm]], 2, byrow = TRUE), alternative = a))
}
case("fisher_a_level90", list(test = "fisher", table = fishers$a, conf_level = 0.9),
     fisher.test(matrix(fishers$a, 2, byrow = TRUE), conf.level = 0.9))
case("fisher_a_or2", list(test = "fisher", table = fishers$a, or = 0.2),
     fisher.test(matrix(fishers$a, 2, byrow = TRUE), or = 0.2))
case("fisher_tea_or3_greater", list(test = "fisher", table = fishers$tea, or = 3, alternative = "greater"),
     fisher.test(matrix(fishers$tea, 2, byrow = TRUE), or = 3, alternative = "greater"))

# ---------------------------------------------------------------------------
# t.test, from data and from summaries
# ---------------------------------------------------------------------------
set.seed(20240601)
tx <- round(rnorm(12, 10, 2), 3)
ty <- round(rnorm(17, 9, 3.5), 3)
bx <- round(rnorm(1000, 2500, 800), 2)
by <- round(rnorm(900, 2450, 700), 2)
for (ve in c(FALSE, TRUE)) for (a in alts) {
  tag <- if (ve) "pooled" else "welch"
  case(sprintf("t_%s_%s", tag, a), list(test = "t", x = tx, y = ty, var_equal = as.integer(ve), alternative = a),
       t.test(tx, ty, var.equal = ve, alternative = a))
  case(sprintf("t_summary_%s_%s", tag, a),
       list(test = "t_summary", sx = c(mean(tx), sd(tx), length(tx)), sy = c(mean(ty), sd(ty), length(ty)),
            var_equal = as.integer(ve), alternative = a),
       t.test(tx, ty, var.equal = ve, alternative = a))
}
case("t_welch_mu_level90", list(test = "t", x = tx, y = ty, mu = 0.5, conf_level = 0.9),
     t.test(tx, ty, mu = 0.5, conf.level = 0.9))
case("t_pooled_mu", list(test = "t", x = tx, y = ty, mu = -1, var_equal = 1), t.test(tx, ty, mu = -1, var.equal = TRUE))
case("t_large_welch", list(test = "t", x = bx, y = by), t.test(bx, by))
case("t_large_pooled", list(test = "t", x = bx, y = by, var_equal = 1), t.test(bx, by, var.equal = TRUE))
case("t_pooled_single", list(test = "t", x = 4.2, y = ty, var_equal = 1), t.test(4.2, ty, var.equal = TRUE))
case("t_summary_brief", list(test = "t_summary", sx = c(10.2, 2.1, 40), sy = c(9.1, 2.5, 35)),
     {
       # t.test on data with exactly these summaries: standardised samples
       z <- function(m, s, n) { v <- as.numeric(scale(seq_len(n))); m + s * v }
       t.test(z(10.2, 2.1, 40), z(9.1, 2.5, 35))
     })
case("t_far", list(test = "t", x = tx + 40, y = ty), t.test(tx + 40, ty)) # a tiny p-value

# ---------------------------------------------------------------------------
# wilcox.test (rank sum) and pwilcox
# ---------------------------------------------------------------------------
wx <- round(rnorm(9, 1, 1), 4)
wy <- round(rnorm(13, 0, 1), 4)
for (a in alts) {
  case(paste0("wilcox_exact_", a), list(test = "wilcox", x = wx, y = wy, alternative = a),
       wilcox.test(wx, wy, alternative = a))
  case(paste0("wilcox_normal_", a), list(test = "wilcox", x = wx, y = wy, exact = 0, alternative = a),
       wilcox.test(wx, wy, exact = FALSE, alternative = a))
  case(paste0("wilcox_nocorrect_", a), list(test = "wilcox", x = wx, y = wy, exact = 0, correct = 0, alternative = a),
       wilcox.test(wx, wy, exact = FALSE, correct = FALSE, alternative = a))
}
case("wilcox_exact_mu", list(test = "wilcox", x = wx, y = wy, mu = 0.25), wilcox.test(wx, wy, mu = 0.25))
tiex <- c(1, 2, 2, 3, 3, 3, 5, 8)
tiey <- c(2, 3, 4, 4, 6, 7, 7, 9, 10)
case("wilcox_ties", list(test = "wilcox", x = tiex, y = tiey), wilcox.test(tiex, tiey)) # warns: no exact with ties
case("wilcox_ties_less", list(test = "wilcox", x = tiex, y = tiey, alternative = "less"),
     wilcox.test(tiex, tiey, alternative = "less"))
lx <- round(rnorm(60, 0.3, 1), 5)
ly <- round(rnorm(55, 0, 1), 5)
case("wilcox_large_auto", list(test = "wilcox", x = lx, y = ly), wilcox.test(lx, ly)) # n >= 50: normal
case("wilcox_large_exact", list(test = "wilcox", x = lx, y = ly, exact = 1), wilcox.test(lx, ly, exact = TRUE))
case("wilcox_one_x", list(test = "wilcox", x = 0.5, y = wy), wilcox.test(0.5, wy))
case("wilcox_separated", list(test = "wilcox", x = wx + 10, y = wy), wilcox.test(wx + 10, wy))

# pwilcox itself, both tails, both halves of the range.
for (mn in list(c(4, 6), c(9, 13), c(30, 45), c(49, 49))) {
  m <- mn[1]; n <- mn[2]
  for (q in unique(round(c(0, 1, m * n * 0.2, m * n / 2 - 1, m * n / 2, m * n * 0.7, m * n - 1)))) {
    emit(sprintf("[pwilcox_%d_%d_%d]", m, n, q))
    emit("test = pwilcox")
    emit(sprintf("m = %d\nn = %d\nq = %d", m, n, q))
    emit("lower = ", num(pwilcox(q, m, n)))
    emit("upper = ", num(pwilcox(q, m, n, lower.tail = FALSE)))
    emit("")
    ncase <- ncase + 1
  }
}

# ---------------------------------------------------------------------------
# uniroot with its defaults, which fisher.test's estimates and intervals
# come from: peil's zeroin must take R's steps.
# ---------------------------------------------------------------------------
roots <- list(
  cubic = list(function(x) x^3 - 2, 0, 2),
  cosine = list(function(x) cos(x) - x, 0, 1),
  exp5 = list(function(x) exp(x) - 5, -3, 4),
  steep = list(function(x) atan(1000 * (x - 0.3141)), 0, 1),
  flat = list(function(x) (x - 0.7)^5, 0, 1),
  logistic = list(function(x) 1 / (1 + exp(-x)) - 0.975, -20, 20)
)
for (nm in names(roots)) {
  r <- roots[[nm]]
  u <- uniroot(r[[1]], c(r[[2]], r[[3]]))
  emit("[uniroot_", nm, "]")
  emit("test = uniroot")
  emit("fn = ", nm)
  emit("lower = ", num_short(r[[2]]))
  emit("upper = ", num_short(r[[3]]))
  emit("root = ", num(u$root))
  emit("")
  ncase <- ncase + 1
}

# ---------------------------------------------------------------------------
# The data cases: a small trial, read by peil from the CSV file.
# ---------------------------------------------------------------------------
set.seed(7)
N <- 400
trial <- data.frame(
  treat = rbinom(N, 1, 0.45),
  municipality = sample(c("Amsterdam", "Den Haag", "Rotterdam", "Utrecht"), N, replace = TRUE),
  age = sample(18:66, N, replace = TRUE)
)
trial$in_work <- rbinom(N, 1, plogis(-1 + 0.5 * trial$treat + 0.01 * (trial$age - 40)))
trial$income <- round(rlnorm(N, 7.5 + 0.1 * trial$treat, 0.5), 2) + 0.001 # not integral: a float64 column
trial$outcome <- ifelse(trial$in_work == 1, "werk", sample(c("anders", "uitkering"), N, replace = TRUE))
trial$income[c(5, 77, 300)] <- NA
trial$treat[c(12, 250)] <- NA
trial$municipality[c(33)] <- NA
csv <- file.path(root, "data", "trial.csv")
write.csv(trial, csv, row.names = FALSE, quote = FALSE, na = "NA")
trial <- read.csv(csv, stringsAsFactors = TRUE)

# used: the rows the test rests on, as peil counts them
dcase <- function(name, inputs, used, call) case(name, c(list(test = "data", used = used), inputs), call)
cc <- function(...) sum(complete.cases(...))
sub <- subset(trial, age >= 30)
for (ve in c(FALSE, TRUE)) {
  dcase(sprintf("data_t_%s", if (ve) "pooled" else "welch"),
        list(kind = "t", value = "income", group = "treat", var_equal = as.integer(ve)), cc(trial$income, trial$treat),
        t.test(income ~ treat, data = trial, var.equal = ve))
}
dcase("data_t_where", list(kind = "t", value = "income", group = "treat", where = "age >= 30"), cc(sub$income, sub$treat),
      t.test(income ~ treat, data = sub))
dcase("data_t_log", list(kind = "t", value = "log(income)", group = "treat"), cc(trial$income, trial$treat),
      t.test(log(income) ~ treat, data = trial))
dcase("data_wilcox", list(kind = "wilcox", value = "income", group = "treat"), cc(trial$income, trial$treat),
      wilcox.test(income ~ treat, data = trial))
dcase("data_wilcox_levels", list(kind = "wilcox", value = "age", group = "municipality",
                                 levels = "Rotterdam,Amsterdam"),
      sum(trial$municipality %in% c("Rotterdam", "Amsterdam")),
      wilcox.test(trial$age[trial$municipality %in% "Rotterdam"], trial$age[trial$municipality %in% "Amsterdam"]))
tw <- table(trial$treat, trial$in_work)
dcase("data_prop", list(kind = "prop", value = "in_work", group = "treat"), sum(tw),
      prop.test(tw[, "1"], rowSums(tw)))
dcase("data_prop_z", list(kind = "prop", value = "in_work", group = "treat", correct = 0), sum(tw),
      prop.test(tw[, "1"], rowSums(tw), correct = FALSE))
tm <- table(trial$municipality, trial$in_work)
dcase("data_prop_municipality", list(kind = "prop", value = "in_work", group = "municipality"), sum(tm),
      prop.test(tm[, "1"], rowSums(tm)))
dcase("data_prop_one", list(kind = "prop", value = "in_work", p = 0.4), nrow(trial),
      prop.test(sum(trial$in_work), nrow(trial), p = 0.4))
dcase("data_binom", list(kind = "binom", value = "in_work", where = "age >= 30", p = 0.4), nrow(sub),
      binom.test(sum(sub$in_work), nrow(sub), p = 0.4))
dcase("data_chisq", list(kind = "chisq", rows = "municipality", cols = "outcome"),
      cc(trial$municipality, trial$outcome),
      chisq.test(table(trial$municipality, trial$outcome)))
dcase("data_chisq_2x2", list(kind = "chisq", rows = "treat", cols = "in_work"), sum(tw), chisq.test(tw))
dcase("data_fisher", list(kind = "fisher", rows = "treat", cols = "in_work"), sum(tw), fisher.test(tw))

writeLines(out, file.path(root, "cases.ini"))
cat(sprintf("%d cases written to %s\n", ncase, file.path(root, "cases.ini")))
