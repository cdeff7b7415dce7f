incentive "monthly_bonus" {
  label = { en = "Monthly bonus", id = "Bonus bulanan" }
  title = "Monthly performance bonus"
  code  = "BON1"

  gate "tenure" { when = "tenure_days >= 90" }
  gate "no_autofail" { when = "!breach.qa_autofail" }

  basis = "base_pay * 0.10"
  tier "outstanding" {
    when       = "score.quality >= 1.10"
    multiplier = 1.5
  }
  tier "met" {
    when       = "score.quality >= 1.00"
    multiplier = 1.0
  }
  tier "partial" {
    when       = "score.quality >= 0.90"
    multiplier = 0.5
  }

  prorate  = "days_worked / period.days"
  cap      = 900
  floor    = 0
  rounding = "half_even"
}

incentive "csat_award" {
  label = { en = "CSAT award", id = "Penghargaan CSAT" }
  title = "CSAT award: 1.25% of base pay when the CSAT goal is met"
  code  = "CSA1"
  gate "csat_met" { when = "target.csat.met" }
  amount   = "base_pay * 0.0125"
  rounding = "half_up"
}
