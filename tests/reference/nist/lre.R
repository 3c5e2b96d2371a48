# Log relative errors (LRE) of R's lm on the NIST StRD linear regression sets.
#
# Run from the repository root:   Rscript tests/reference/nist/lre.R
# Prints the table and writes tests/reference/nist/lre_r.csv
# (dataset,what,term,certified,estimate,lre), so the C tests know what a stable
# double-precision method (Householder QR with R's limited column pivoting,
# LINPACK dqrdc2) reaches on each value.
#
# LRE = -log10(|est - cert| / |cert|), or -log10(|est|) when cert is 0
# (McCullough 1998), capped at 15; 0 when R gives no estimate (aliased term)
# or the estimate has no correct digit.

dir <- file.path("tests", "reference", "nist")
if (!dir.exists(dir)) stop("run from the repository root")

read_ini <- function(path) {
  sec <- NULL; out <- list()
  for (ln in readLines(path)) {
    ln <- trimws(ln)
    if (ln == "" || substr(ln, 1, 1) %in% c(";", "#")) next
    if (grepl("^\\[.*\\]$", ln)) { sec <- sub("^\\[(.*)\\]$", "\\1", ln); out[[sec]] <- list(); next }
    kv <- regmatches(ln, regexpr("=", ln), invert = TRUE)[[1]]
    out[[sec]][[trimws(kv[1])]] <- trimws(paste(kv[-1], collapse = "="))
  }
  out
}

lre <- function(est, cert) {
  if (is.na(est)) return(0)
  if (est == cert) return(15)
  v <- if (cert == 0) -log10(abs(est)) else -log10(abs(est - cert) / abs(cert))
  max(0, min(15, v))
}

cases <- read_ini(file.path(dir, "cases.ini"))
rows <- list()
for (name in names(cases)) {
  cs <- cases[[name]]
  d <- read.csv(file.path(dir, cs$data))
  cert <- read.csv(file.path(dir, paste0(name, ".certified.csv")), colClasses = c("character", "character", "character"))
  cert$num <- as.numeric(cert$value)
  # Sets marked solvable = false are also fitted with a tighter QR tolerance.
  for (tol in if (identical(cs$solvable, "false")) c(1e-7, 1e-10) else 1e-7) {
  fit <- lm(as.formula(cs$formula), data = d, tol = tol)
  s <- suppressWarnings(summary(fit)) # "essentially perfect fit" for Wampler1/2
  b <- coef(fit)
  se <- rep(NA_real_, length(b)); names(se) <- names(b)
  se[rownames(s$coefficients)] <- s$coefficients[, "Std. Error"]
  est <- c(residual_sd = s$sigma, r_squared = s$r.squared, rss = sum(residuals(fit)^2))
  for (i in seq_len(nrow(cert))) {
    w <- cert$what[i]; t <- cert$term[i]
    e <- switch(w, coef = b[[t]], se = se[[t]], est[[w]])
    rows[[length(rows) + 1]] <- data.frame(dataset = name, tol = tol, what = w, term = t,
      certified = cert$value[i], estimate = sprintf("%.17g", e), lre = round(lre(e, cert$num[i]), 1))
  }
  }
}
tab <- do.call(rbind, rows)
write.csv(tab, file.path(dir, "lre_r.csv"), row.names = FALSE, quote = FALSE)

# Summary: the smallest LRE per dataset and kind.
cat(sprintf("R %s, lm (QR, LINPACK dqrdc2); smallest LRE per dataset and kind\n\n",
            paste(R.version$major, R.version$minor, sep = ".")))
cat(sprintf("%-9s %-10s %6s %6s %6s %8s %9s %6s\n", "dataset", "difficulty", "tol", "coef", "se", "resid_sd", "r_squared", "rss"))
keys <- unique(tab[, c("dataset", "tol")])
for (k in seq_len(nrow(keys))) {
  x <- tab[tab$dataset == keys$dataset[k] & tab$tol == keys$tol[k], ]
  m <- function(w) min(x$lre[x$what == w])
  cat(sprintf("%-9s %-10s %6.0e %6.1f %6.1f %8.1f %9.1f %6.1f\n", keys$dataset[k], cases[[keys$dataset[k]]]$difficulty,
              keys$tol[k], m("coef"), m("se"), m("residual_sd"), m("r_squared"), m("rss")))
}
cat("\nPer term (LRE of coefficient / standard error):\n")
for (k in seq_len(nrow(keys))) {
  name <- sprintf("%s tol=%.0e", keys$dataset[k], keys$tol[k])
  x <- tab[tab$dataset == keys$dataset[k] & tab$tol == keys$tol[k], ]
  cf <- x[x$what == "coef", ]; se <- x[x$what == "se", ]
  cat(sprintf("%-18s %s\n", name, paste(sprintf("%s %.1f/%.1f", cf$term, cf$lre, se$lre[match(cf$term, se$term)]), collapse = ", ")))
}
