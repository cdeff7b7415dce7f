policy "names" {
  version  = "1"
  currency = "EUR"
}

metric "aht" { better = "lower" }
metric "aht" { better = "lower" }   # ERROR duplicate-name "metric \"aht\" is already declared as a metric"
attribute "aht" { type = "number" } # ERROR duplicate-name "already declared as a metric"
param "target" { value = 1 }        # ERROR reserved-name "reserved word"
metric "csat" { better = "higher" }
metric "Bad" { better = "higher" } # ERROR bad-name "invalid metric name"

target "t1" {
  metric = "csta" # ERROR unknown-name "unknown metric \"csta\"; did you mean \"csat\"\?"
  goal   = 1
}

target "t2" {
  value  = "csta * 2" # ERROR unknown-name "unknown name \"csta\"; did you mean \"csat\"\?"
  better = "higher"
  goal   = 1
}

target "t2" { # ERROR duplicate-name "target \"t2\" is already declared"
  metric = "csat"
  goal   = 1
}

target "t3" {
  metric = "csat"
  goal   = "target.t1" # ERROR unknown-name "not a value by itself"
}

breach "per_language" {
  when = "csat < 0.5"
  message = {
    en       = "csat ${csat}"
    id       = "csat ${cast}" # ERROR unknown-name "breach \"per_language\" message: unknown metric, attribute or param \"cast\"; did you mean \"csat\"\?"
    "Bahasa" = "csat ${csat}" # ERROR bad-value "\"Bahasa\" is not a language code"
  }
}
