# Expected values for tests/unit/model/test_family.c: every family/link
# function of R's stats package on a grid, extremes included.
# Regenerate: Rscript tests/reference/families.R > tests/reference/families.csv
options(digits = 17)
fams <- list(c("gaussian", "identity"), c("binomial", "logit"), c("binomial", "probit"),
             c("binomial", "cloglog"), c("poisson", "log"))
eta <- c(-800, -40, -31, -29, -8.3, -1, -1e-9, 0, 0.25, 2, 7.5, 29, 31, 40, 800)
cat("family,link,eta,linkinv,mu_eta\n")
for (f in fams) {
  fam <- get(f[1])(link = f[2])
  if (f[1] == "binomial" && f[2] == "probit") e <- eta[abs(eta) < 40] else e <- eta
  if (f[1] == "poisson") e <- eta[abs(eta) < 700]
  for (x in e) cat(paste(f[1], f[2], sprintf("%.17g", x), sprintf("%.17g", fam$linkinv(x)),
                   sprintf("%.17g", fam$mu.eta(x)), sep = ","), "\n", sep = "")
}
