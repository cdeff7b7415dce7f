# Tests of the IT help-desk policy: every target status, band, gate, tier
# and rate band.

test "every goal exactly: good band, volume not yet paid" {
  period = "2026-11"
  # ftr 840/1200 = 0.7, escalation 0.1, repeat 0.05, csat 34/40 = 0.85:
  # every attainment is 1, so the score is exactly 1
  values = { level = "L1", first_response_min = 30, resolution_hours = 8, tickets_resolved = 1200,
  resolved_first_time = 840, escalated = 120, reopened = 60, surveys = 40, satisfied = 34 }
  expect {
    target "first_response" { status = "met" }
    target "resolution" { status = "met" }
    target "ftr" { status = "met" }
    target "escalation" { status = "met" }
    target "repeat" { status = "met" }
    target "csat" { status = "met" }
    target "volume" {
      status     = "met"
      attainment = 1
    }
    score "service" {
      value = 1
      band  = "good"
    }
    breach "sla_missed" { status = "clear" }
    incentive "ticket_volume" { # 1200 tickets: the first paid ticket is the 1201st
      status = "not_earned"
      amount = "0.00"
    }
    incentive "service_bonus" {
      status = "earned"
      amount = "250.00"
      tier   = "good"
    }
  }
}

test "stretch everywhere, graduated into the accelerated rate" {
  period = "2026-11"
  # 1700 tickets: 300 × 0.50 + 200 × 1.00 = 350
  values = { level = "L1", first_response_min = 15, resolution_hours = 4, tickets_resolved = 1700,
  resolved_first_time = 1200, escalated = 100, reopened = 50, surveys = 40, satisfied = 36 }
  expect {
    target "first_response" {
      status     = "exceeded"
      attainment = 1.5 # 30/15 = 2, capped
    }
    target "resolution" { status = "exceeded" }
    target "volume" {
      status     = "met"
      attainment = 1.25 # 1700/1200, capped by the target's cap
    }
    score "service" { band = "excellent" }
    incentive "ticket_volume" {
      status = "earned"
      amount = "350.00"
    }
    incentive "service_bonus" {
      amount = "300.00"
      tier   = "excellent"
    }
  }
}

test "exactly 1500 tickets pay the base rate only" {
  period = "2026-11"
  values = { level = "L1", first_response_min = 25, resolution_hours = 6, tickets_resolved = 1500,
  resolved_first_time = 1100, escalated = 100, reopened = 50, surveys = 40, satisfied = 36 }
  expect {
    incentive "ticket_volume" { amount = "150.00" }
  }
}

test "thresholds broken: no volume pay while repeats are breached" {
  period = "2026-11"
  values = { level = "L1", first_response_min = 130, resolution_hours = 30, tickets_resolved = 1000,
  resolved_first_time = 450, escalated = 250, reopened = 150, surveys = 40, satisfied = 24 }
  expect {
    target "first_response" { status = "breached" }
    target "resolution" { status = "breached" }
    target "ftr" { status = "breached" }
    target "escalation" {
      status     = "breached"
      attainment = 0
    }
    target "repeat" { status = "breached" }
    target "csat" { status = "breached" }
    target "volume" { status = "missed" }
    score "service" { band = "needs_focus" }
    breach "sla_missed" { status = "clear" } # 130 minutes is not past 4 hours
    incentive "ticket_volume" { status = "ineligible" }
    incentive "service_bonus" { # no critical breach, but no tier for needs_focus
      status = "not_earned"
      amount = "0.00"
    }
  }
}

test "between goal and threshold: missed" {
  period = "2026-11"
  values = { level = "L1", first_response_min = 40, resolution_hours = 12, tickets_resolved = 1000,
  resolved_first_time = 600, escalated = 150, reopened = 80, surveys = 40, satisfied = 30 }
  expect {
    target "first_response" { status = "missed" }
    target "resolution" { status = "missed" }
    target "ftr" { status = "missed" }
    target "escalation" { status = "missed" }
    target "repeat" { status = "missed" }
    target "csat" { status = "missed" }
  }
}

test "L2 analysts have a 60-minute first response goal" {
  period = "2026-11"
  values = { level = "L2", first_response_min = 60, resolution_hours = 8, tickets_resolved = 900,
  resolved_first_time = 650, escalated = 80, reopened = 40, surveys = 40, satisfied = 36 }
  expect {
    target "first_response" {
      status     = "met"
      attainment = 1
    }
  }
}

test "SLA missed: a critical breach stops both incentives" {
  period = "2026-11"
  values = { level = "L1", first_response_min = 241, resolution_hours = 7, tickets_resolved = 1300,
  resolved_first_time = 900, escalated = 100, reopened = 50, surveys = 40, satisfied = 36 }
  expect {
    breach "sla_missed" { status = "breached" }
    incentive "ticket_volume" { status = "ineligible" }
    incentive "service_bonus" {
      status = "ineligible"
      amount = "0.00"
    }
  }
}

test "no data: everything needs review" {
  period = "2026-11"
  values = { level = "L1" }
  expect {
    target "first_response" { status = "no_data" }
    target "resolution" { status = "no_data" }
    target "ftr" { status = "no_data" }
    target "escalation" { status = "no_data" }
    target "repeat" { status = "no_data" }
    target "csat" { status = "no_data" }
    target "volume" { status = "no_data" }
    breach "sla_missed" { status = "no_data" }
    incentive "ticket_volume" { status = "no_data" }
    incentive "service_bonus" { status = "no_data" }
  }
}

test "nine survey responses are too few for CSAT" {
  period = "2026-11"
  values = { level = "L1", first_response_min = 25, resolution_hours = 7, tickets_resolved = 1300,
  resolved_first_time = 900, escalated = 100, reopened = 50, surveys = 9, satisfied = 9 }
  expect {
    target "csat" {
      status = "no_data"
      value  = 1
    }
  }
}

# History: the months before come in `history`, oldest or newest first.

test "CSAT missed three months in a row: coaching" {
  period = "2026-11"
  history = [
    { period = "2026-09", surveys = 40, satisfied = 30, tickets_resolved = 1200 },
    { period = "2026-10", surveys = 40, satisfied = 31, tickets_resolved = 1200 },
  ]
  values = { level = "L1", first_response_min = 30, resolution_hours = 8, tickets_resolved = 1200,
  resolved_first_time = 840, escalated = 120, reopened = 60, surveys = 40, satisfied = 32 }
  expect {
    target "csat" { status = "missed" }
    breach "coaching" { status = "breached" }
    incentive "consistency" {
      status = "ineligible"
      amount = "0.00"
    }
  }
}

test "a gap ends the streak: no coaching" {
  period = "2026-11"
  # September missed, October is a gap, November missed: a streak of 1
  history = [{ period = "2026-09", surveys = 40, satisfied = 30 }]
  values  = { level = "L1", surveys = 40, satisfied = 32, tickets_resolved = 1200 }
  expect {
    breach "coaching" { status = "clear" }
  }
}

test "a month with too few surveys is unknown, not missed: coaching needs review" {
  period = "2026-11"
  # September and November missed; October had 5 surveys (min_sample 10):
  # csat was no_data there, so the streak cannot be counted
  history = [
    { period = "2026-09", surveys = 40, satisfied = 30 },
    { period = "2026-10", surveys = 5, satisfied = 3 },
  ]
  values = { level = "L1", surveys = 40, satisfied = 30, tickets_resolved = 1200 }
  expect {
    target "csat" { status = "missed" }
    breach "coaching" { status = "no_data" }
  }
}

test "a rejected month is unknown: consistency needs review, never a silent 0" {
  period = "2026-11"
  # October's row was rejected as bad input (--skip-invalid): met in
  # September and November, unknown in between
  history = [
    { period = "2026-09", surveys = 40, satisfied = 36, tickets_resolved = 1100 },
    { period = "2026-10", rejected = true },
  ]
  values = { level = "L1", surveys = 40, satisfied = 36, tickets_resolved = 1200 }
  expect {
    incentive "consistency" { status = "no_data" }
  }
}

test "CSAT met every month, pooled 0.9: consistency paid" {
  period = "2026-11"
  # pooled: (36 + 36 + 36) / (40 + 40 + 40) = 0.9
  history = [
    { period = "2026-10", surveys = 40, satisfied = 36, tickets_resolved = 1100 },
    { period = "2026-09", surveys = 40, satisfied = 36, tickets_resolved = 1100 },
  ]
  values = { level = "L1", first_response_min = 30, resolution_hours = 8, tickets_resolved = 1200,
  resolved_first_time = 840, escalated = 120, reopened = 60, surveys = 40, satisfied = 36 }
  expect {
    target "csat" { status = "met" }
    breach "coaching" { status = "clear" }
    incentive "consistency" {
      status = "earned"
      amount = "100.00"
      tier   = "pooled"
    }
  }
}

test "CSAT met every month, pooled below 0.9: no consistency pay" {
  period = "2026-11"
  # pooled: (35 + 35 + 35) / 120 = 0.875: met each month (goal 0.85), no tier
  history = [
    { period = "2026-09", surveys = 40, satisfied = 35 },
    { period = "2026-10", surveys = 40, satisfied = 35 },
  ]
  values = { level = "L1", surveys = 40, satisfied = 35, tickets_resolved = 1200 }
  expect {
    incentive "consistency" {
      status = "not_earned"
      amount = "0.00"
    }
  }
}

test "the first month has no history: consistency ineligible" {
  period = "2026-11"
  values = { level = "L1", surveys = 40, satisfied = 40, tickets_resolved = 1200 }
  expect {
    incentive "consistency" {
      status = "ineligible"
      amount = "0.00"
    }
  }
}

test "tickets missing: the consistency tier cannot be judged" {
  period = "2026-11"
  history = [
    { period = "2026-09", surveys = 40, satisfied = 38 },
    { period = "2026-10", surveys = 40, satisfied = 38 },
  ]
  values = { level = "L1", surveys = 40, satisfied = 38 }
  expect {
    incentive "consistency" { status = "no_data" }
  }
}
