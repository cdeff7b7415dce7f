# Tests of the voice-agent policy: every tier, gate, band and target status.
# Score arithmetic is written next to the values so a reviewer can check it.

test "strong agent earns the full bonus" {
  period = "2026-10"
  team   = "west"
  # aht 300/287 = 1.0453, fcr (320/410)/0.75 = 1.0407, csat 0.9/0.85 = 1.0588,
  # adherence 0.93 on the curve = 1.12: score 1.0638101, band strong
  values = { handled = 410, aht = 287, resolved_first = 320, surveys = 60, satisfied = 54,
  adherence = 0.93, qa_autofails = 0, days_worked = 31, tenure_days = 400, base_pay = 3000 }
  expect {
    target "aht" {
      status     = "met"
      attainment = 1.0452961672473868
    }
    target "fcr" { status = "met" }
    target "csat" { status = "met" }
    target "adherence" {
      status     = "met"
      attainment = 1.12
    }
    target "aht_vs_team" { status = "met" } # the only agent of the team: its own average
    score "quality" {
      status = "ok"
      band   = "strong"
      value  = 1.0638100703696114
    }
    breach "qa_autofail" { status = "clear" }
    incentive "monthly_bonus" {
      status = "earned"
      amount = "300.00"
      tier   = "met"
    }
    incentive "csat_award" {
      status = "earned"
      amount = "37.50"
    }
  }
}

test "outstanding agent is capped at 900" {
  period = "2026-10"
  team   = "east"
  values = { handled = 400, aht = 200, resolved_first = 380, surveys = 40, satisfied = 40,
  adherence = 0.97, days_worked = 31, tenure_days = 400, base_pay = 9000 }
  expect {
    target "aht" { status = "exceeded" }
    target "fcr" { status = "exceeded" }
    target "csat" { status = "exceeded" }
    score "quality" { band = "outstanding" }
    incentive "monthly_bonus" { # 9000 × 0.10 × 1.5 = 1350, capped
      status = "earned"
      amount = "900.00"
      tier   = "outstanding"
    }
  }
}

test "developing agent gets the partial tier" {
  period = "2026-10"
  team   = "east"
  # aht 300/320 = 0.9375, fcr 0.7/0.75, csat 0.8/0.85, adherence 1: score 0.9502
  values = { handled = 400, aht = 320, resolved_first = 280, surveys = 40, satisfied = 32,
  adherence = 0.9, days_worked = 31, tenure_days = 400, base_pay = 3000 }
  expect {
    target "aht" { status = "missed" }
    target "fcr" { status = "missed" }
    target "csat" { status = "missed" }
    score "quality" { band = "developing" }
    incentive "monthly_bonus" {
      status = "earned"
      amount = "150.00"
      tier   = "partial"
    }
    incentive "csat_award" { status = "ineligible" }
  }
}

test "every threshold breached: below band, nothing earned" {
  period = "2026-10"
  team   = "east"
  values = { handled = 400, aht = 450, resolved_first = 220, surveys = 40, satisfied = 24,
  adherence = 0.75, days_worked = 31, tenure_days = 400, base_pay = 3000 }
  expect {
    target "aht" { status = "breached" }
    target "fcr" { status = "breached" }
    target "csat" { status = "breached" }
    target "adherence" {
      status     = "breached"
      attainment = 0
    }
    score "quality" { band = "below" }
    incentive "monthly_bonus" {
      status = "not_earned"
      amount = "0.00"
      tier   = ""
    }
  }
}

test "a QA auto-fail makes the bonus ineligible" {
  period = "2026-10"
  team   = "west"
  values = { handled = 410, aht = 287, resolved_first = 320, surveys = 60, satisfied = 54,
  adherence = 0.85, qa_autofails = 1, days_worked = 31, tenure_days = 400, base_pay = 3000 }
  expect {
    target "adherence" { status = "missed" }
    breach "qa_autofail" { status = "breached" }
    incentive "monthly_bonus" {
      status = "ineligible"
      amount = "0.00"
    }
  }
}

test "new starter: softer handle-time goal, no bonus yet" {
  period = "2026-10"
  values = { handled = 300, aht = 350, resolved_first = 240, surveys = 30, satisfied = 27,
  adherence = 0.92, days_worked = 31, tenure_days = 60, base_pay = 2500 }
  expect {
    target "aht" { status = "met" } # the goal is 360 in the first 90 days
    incentive "monthly_bonus" { status = "ineligible" }
  }
}

test "no data is never paid as zero" {
  period = "2026-10"
  values = { tenure_days = 400, base_pay = 3000 }
  expect {
    target "aht" { status = "no_data" }
    target "fcr" { status = "no_data" }
    target "csat" { status = "no_data" }
    target "adherence" { status = "no_data" }
    target "aht_vs_team" { status = "no_data" }
    score "quality" { status = "no_data" }
    incentive "monthly_bonus" {
      status = "no_data"
      amount = "no amount"
    }
    incentive "csat_award" { status = "no_data" }
  }
}

test "csat award of a zero base pay is not earned" {
  period = "2026-10"
  values = { handled = 410, aht = 287, resolved_first = 320, surveys = 60, satisfied = 54,
  adherence = 0.93, days_worked = 31, tenure_days = 400, base_pay = 0 }
  expect {
    incentive "csat_award" {
      status = "not_earned"
      amount = "0.00"
    }
  }
}

test "half-month agent is prorated" {
  period = "2026-10"
  values = { handled = 410, aht = 287, resolved_first = 320, surveys = 60, satisfied = 54,
  adherence = 0.93, days_worked = 15, tenure_days = 400, base_pay = 3000 }
  expect {
    incentive "monthly_bonus" { amount = "145.16" } # 300 × 15/31 = 145.1612…
  }
}

test "handle time far above the team average" {
  period = "2026-10"
  team   = "west"
  # team average (400 + 250 + 250) / 3 = 300: 400/300 = 1.333, worse than 1.25
  values = { handled = 400, aht = 400, base_pay = 3000, tenure_days = 400 }
  peers = [
    { handled = 100, aht = 250, base_pay = 3000 },
    { handled = 100, aht = 250, base_pay = 3000 },
  ]
  expect {
    target "aht_vs_team" {
      status = "breached"
      value  = 1.3333333333333333
    }
  }
}

test "handle time a little above the team average" {
  period = "2026-10"
  team   = "west"
  # (330 + 300 + 300) / 3 = 310: 330/310 = 1.0645
  values = { handled = 400, aht = 330, base_pay = 3000, tenure_days = 400 }
  peers  = [{ handled = 100, aht = 300, base_pay = 3000 }, { handled = 100, aht = 300, base_pay = 3000 }]
  expect {
    target "aht_vs_team" { status = "missed" }
  }
}

test "few calls: the team comparison does not apply" {
  period = "2026-10"
  team   = "west"
  values = { handled = 40, aht = 330, base_pay = 3000, tenure_days = 400 }
  expect {
    target "aht_vs_team" { status = "not_applicable" }
    target "aht" { status = "no_data" } # 40 calls, below the minimum sample of 50
  }
}
