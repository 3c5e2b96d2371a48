# Logistic regression with HC1 standard errors in R, timed: the reference
# for benchmarks/glm_logit.sh.
#
#   Rscript benchmarks/glm_logit.R data.csv coefs.csv ["y ~ x1 + ..."]
#
# Reads the CSV written by benchmarks/glm_data.py (not timed: data.table's
# fread when installed, else read.csv with colClasses), then times with
# system.time (elapsed)
#   glm(formula, family = binomial)
#   sandwich::vcovHC(fit, type = "HC1")
# separately and together, prints the times and writes term, estimate and
# std_error (HC1) with 17 significant digits to coefs.csv.
#
# Text columns become factors whose levels are sorted by their bytes (C
# collation), as peil sorts them, so the first level is the reference
# whatever the locale. The last line of the output is machine-readable:
#   RESULT tool=R n=... k=... read_s=... fit_s=... vcov_s=... fit_vcov_s=... ...
args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 2) {
  stop("usage: Rscript glm_logit.R data.csv coefs.csv [formula]")
}
csv <- args[1]
out <- args[2]
formula_text <- if (length(args) >= 3) args[3] else paste(
  "y ~ age + income + hours + z1 + z2 + z3 + u1 + benefit_months + children +",
  "municipality + age_band + sex + migration + duration + factor(year)")
suppressPackageStartupMessages(library(sandwich))

text_cols <- c("municipality", "age_band", "sex", "migration", "duration")
t_read <- system.time({
  header <- names(read.csv(csv, nrows = 1, check.names = FALSE))
  classes <- ifelse(header %in% text_cols, "character",
                    ifelse(header %in% c("y", "age", "benefit_months", "children", "year"),
                           "integer", "numeric"))
  names(classes) <- header
  if (requireNamespace("data.table", quietly = TRUE)) {
    reader <- "data.table::fread"
    d <- data.table::fread(csv, colClasses = classes, showProgress = FALSE)
    data.table::setDF(d)
  } else {
    reader <- "read.csv"
    d <- read.csv(csv, colClasses = classes, check.names = FALSE)
  }
  for (col in intersect(text_cols, header)) {
    d[[col]] <- factor(d[[col]], levels = sort(unique(d[[col]]), method = "radix"))
  }
})[["elapsed"]]

f <- as.formula(formula_text)
invisible(gc(reset = TRUE))
t_all <- system.time({
  t_fit <- system.time(fit <- glm(f, family = binomial, data = d))[["elapsed"]]
  t_vcov <- system.time(V <- vcovHC(fit, type = "HC1"))[["elapsed"]]
})[["elapsed"]]
mem <- gc()
heap_max_mb <- sum(mem[, 6]) # "max used" (Mb), Ncells + Vcells, since the reset

est <- coef(fit)
se <- sqrt(diag(V))
if (anyNA(est)) {
  warning("aliased terms: ", paste(names(est)[is.na(est)], collapse = ", "))
}
tab <- data.frame(term = names(est), estimate = sprintf("%.17g", est),
                  std_error = sprintf("%.17g", se[names(est)]))
write.csv(tab, out, row.names = FALSE, quote = TRUE)

blas <- tryCatch(extSoftVersion()[["BLAS"]], error = function(e) "?")
cat(sprintf("R %s, BLAS %s, LAPACK %s\n", getRversion(), blas, La_library()))
cat(sprintf("read (%s): %.2f s; %d rows, formula %s\n", reader, t_read, nrow(d), formula_text))
cat(sprintf("glm: %.2f s (%d IRLS iterations, converged %s); vcovHC HC1: %.2f s; together: %.2f s\n",
            t_fit, fit$iter, fit$converged, t_vcov, t_all))
cat(sprintf("R heap, max used during the fit (data included): %.0f MB\n", heap_max_mb))
cat(sprintf("RESULT tool=R n=%d k=%d read_s=%.3f fit_s=%.3f vcov_s=%.3f fit_vcov_s=%.3f iter=%d heap_max_mb=%.0f\n",
            nrow(d), length(est), t_read, t_fit, t_vcov, t_all, fit$iter, heap_max_mb))
