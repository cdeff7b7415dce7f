policy "shapes" { # ERROR currency "has incentives but no currency"
  version = "1"
}

metric "a" { better = "higher" }
attribute "level" { type = "string" }

target "both" {
  metric = "a"
  value  = "a * 2" # ERROR exactly-one "both metric and value"
  goal   = 1
}

target "neither" { # ERROR exactly-one "neither metric nor value"
  goal = 1
}

target "computed" { # ERROR missing-attribute "needs better"
  value = "a * 2"
  goal  = 1
}

target "nogoal" { # ERROR missing-attribute "has no goal"
  metric = "a"
}

incentive "two" {
  basis  = "a"
  amount = "a" # ERROR exactly-one "exactly one of basis"
}

incentive "none" { # ERROR exactly-one "exactly one of basis"
  code = "X"
}

incentive "rates" { # ERROR missing-attribute "schedule = \"graduated\""
  units = "a"
  rate "r" {
    from     = 1
    per_unit = 1
  }
  tier "t" { # ERROR conflict "tier blocks go with basis"
    when       = "true"
    multiplier = 1
  }
}

incentive "tiers" {
  basis = 100
  tier "t" {
    when       = "level" # ERROR expression "must be a condition \(true or false\), but this expression gives a string"
    multiplier = "level" # ERROR expression "must give a number, but this expression gives a string"
  }
}

incentive "dupes" {
  gate "g" { when = "true" }
  gate "g" { when = "true" } # ERROR duplicate-name "incentive \"dupes\": gate \"g\" is declared twice"
  basis = 1
  tier "t" {
    when       = "true"
    multiplier = 1
  }
  tier "t" { # ERROR duplicate-name "tier \"t\" is declared twice"
    when       = "true"
    multiplier = 1
  }
}
