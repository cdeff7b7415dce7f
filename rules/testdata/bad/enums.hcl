policy "enums" {
  version  = "1"
  language = "cell"   # ERROR bad-enum "language must be one of cel, expr, not \"cell\"; did you mean \"cel\"\?"
  currency = "eur"    # ERROR currency "not an ISO 4217 currency code; did you mean \"EUR\"\?"
  period   = "montly" # ERROR bad-enum "did you mean \"monthly\"|did you mean \"month\""
}

attribute "kind" { type = "text" } # ERROR bad-enum "type must be one of string, number, bool, money"
metric "a" { better = "up" }       # ERROR bad-enum "better must be one of higher, lower"

target "t" {
  metric   = "a"
  goal     = 1
  scoring  = "linear" # ERROR bad-enum "scoring must be one of ratio, binary"
  severity = "high"   # ERROR bad-enum "severity must be one of minor, major, critical"
}

scorecard "s" {
  weights = { t = 100 }
  missing = "skip" # ERROR bad-enum "missing must be one of reweight, zero, void"
}

incentive "i" {
  units    = "a"
  schedule = "stepped" # ERROR bad-enum "schedule must be one of graduated, flat"
  rate "r" {
    from     = 1
    per_unit = 1
  }
  rounding = "nearest" # ERROR bad-enum "rounding must be one of half_even, half_up, down, up"
}
