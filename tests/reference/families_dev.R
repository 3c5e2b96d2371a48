# Expected deviance residuals, starting values and AIC terms for
# tests/unit/model/test_family.c.
# Regenerate: Rscript tests/reference/families_dev.R > tests/reference/families_dev.csv
cat("family,y,mu,wt,dev_resid,mustart,aic\n")
rows <- list(c(0, 0.3, 1), c(1, 0.3, 1), c(1, 0.999, 2), c(0, 1e-6, 3), c(1, 0.5, 1))
for (r in rows) {
  y <- r[1]; mu <- r[2]; wt <- r[3]
  f <- binomial(); mustart <- (wt * y + 0.5) / (wt + 1)
  cat(paste(c("binomial", sprintf("%.17g", c(y, mu, wt, f$dev.resids(y, mu, wt), mustart,
      f$aic(y, 1, mu, wt, 0)))), collapse = ","), "\n", sep = "")
}
rows <- list(c(0, 0.3, 1), c(3, 2.5, 1), c(7, 0.1, 2), c(12, 12, 1))
for (r in rows) {
  y <- r[1]; mu <- r[2]; wt <- r[3]
  f <- poisson()
  cat(paste(c("poisson", sprintf("%.17g", c(y, mu, wt, f$dev.resids(y, mu, wt), y + 0.1,
      f$aic(y, 1, mu, wt, 0)))), collapse = ","), "\n", sep = "")
}
