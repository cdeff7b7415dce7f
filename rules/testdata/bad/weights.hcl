policy "weights" {
  version  = "1"
  currency = "EUR"
}

metric "a" { better = "higher" }

target "x" {
  metric = "a"
  goal   = 1
}

target "y" {
  metric = "a"
  goal   = 1
}

scorecard "sum" {
  weights = { x = 60, y = 30 } # ERROR weights "weights sum to 90; they must sum to 100"
}

scorecard "negative" {
  weights = { x = 110, y = -10 } # ERROR weights "must be positive"
}

scorecard "unknown" {
  weights = { x = 50, yy = 50 } # ERROR unknown-name "unknown target \"yy\"; did you mean \"y\"\?"
  band "a" { min = 1 }
  band "b" { min = 1 } # ERROR bounds-order "same min"
}

scorecard "coverage" {
  weights      = { x = 50, y = 50 }
  min_coverage = 120 # ERROR bad-value "percentage from 0 to 100"
}
