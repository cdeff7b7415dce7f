# Tests of the weekly support-team policy. Each snapshot is a team's week;
# peers are other teams of the same week, for all.avg.nps.

test "every goal exactly: silver pool" {
  period = "2026-W40"
  team   = "north"
  # abandonment 15/500 = 3%, service level 400/500 = 80%, NPS 100 × 70/100 = 70
  values = { agents = 8, certified = true, offered = 500, abandoned = 15, answered_20s = 400,
  promoters = 70, passives = 30, detractors = 0 }
  expect {
    target "abandonment" {
      status     = "met"
      attainment = 1
    }
    target "nps" {
      status = "met"
      value  = 70
    }
    target "service_level" { status = "met" }
    target "volume" { status = "met" }
    target "certification" { status = "met" }
    score "team" {
      value = 1
      band  = "silver"
    }
    breach "nps_below_site" { status = "clear" }
    incentive "team_pool" { # 8 agents × 40 × 1
      status = "earned"
      amount = "320.00"
      tier   = "silver"
    }
  }
}

test "gold team reaches the pool cap" {
  period = "2026-W40"
  values = { agents = 8, certified = true, offered = 1000, abandoned = 15, answered_20s = 950,
  promoters = 90, passives = 10, detractors = 0 }
  expect {
    target "abandonment" {
      status     = "exceeded"
      attainment = 1.5 # 0.03/0.015 = 2, capped
    }
    target "nps" { status = "exceeded" }
    target "service_level" { status = "exceeded" }
    score "team" { band = "gold" }
    incentive "team_pool" { # 8 × 40 × 1.5 = 480 = the cap of 8 × 60
      amount = "480.00"
      tier   = "gold"
    }
  }
}

test "bronze team: missed but not breached" {
  period = "2026-W40"
  # 25 × 0.75 + 25 × 60/70 + 30 × 0.75/0.8 + 20 × 1 = 88.3: 0.883
  values = { agents = 8, certified = true, offered = 1000, abandoned = 40, answered_20s = 750,
  promoters = 60, passives = 40, detractors = 0 }
  expect {
    target "abandonment" { status = "missed" }
    target "nps" { status = "missed" }
    target "service_level" { status = "missed" }
    score "team" { band = "bronze" }
    incentive "team_pool" {
      amount = "160.00"
      tier   = "bronze"
    }
  }
}

test "abandonment breached: a major breach stops the pool" {
  period = "2026-W40"
  values = { agents = 8, certified = false, offered = 1000, abandoned = 60, answered_20s = 600,
  promoters = 40, passives = 50, detractors = 10 }
  expect {
    target "abandonment" { status = "breached" }
    target "nps" {
      status = "breached"
      value  = 30
    }
    target "service_level" { status = "breached" }
    target "certification" {
      status     = "missed"
      attainment = 0
    }
    score "team" { band = "" } # 0.457: below every band
    incentive "team_pool" {
      status = "ineligible"
      amount = "0.00"
    }
  }
}

test "under 500 calls the pool does not open" {
  period = "2026-W40"
  values = { agents = 6, certified = true, offered = 499, abandoned = 5, answered_20s = 450,
  promoters = 90, passives = 10, detractors = 0 }
  expect {
    target "volume" {
      status     = "missed"
      attainment = 0
    }
    incentive "team_pool" { status = "ineligible" }
  }
}

test "below every band without a breach: nothing earned" {
  period = "2026-W40"
  values = { agents = 6, certified = false, offered = 1000, abandoned = 45, answered_20s = 720,
  promoters = 55, passives = 35, detractors = 10 }
  expect {
    score "team" { band = "" }
    incentive "team_pool" {
      status = "not_earned"
      amount = "0.00"
      tier   = ""
    }
  }
}

test "no calls and no answers: missing counts as zero in the scorecard" {
  period = "2026-W40"
  values = { agents = 6 }
  expect {
    target "abandonment" { status = "no_data" }
    target "nps" { status = "no_data" }
    target "service_level" { status = "no_data" }
    target "volume" { status = "no_data" }
    target "certification" { status = "no_data" }
    score "team" { # missing = "zero": every target counts 0
      status = "ok"
      value  = 0
    }
    breach "nps_below_site" { status = "no_data" }
    incentive "team_pool" { status = "no_data" }
  }
}

test "NPS far below the other teams of the week" {
  period = "2026-W40"
  team   = "south"
  # all.avg.nps = (30 + 90 + 90) / 3 = 70; 30 < 70 - 20
  values = { agents = 8, certified = true, offered = 1000, abandoned = 20, answered_20s = 850,
  promoters = 40, passives = 50, detractors = 10 }
  peers = [
    { agents = 5, offered = 600, promoters = 90, passives = 10, detractors = 0, team = "north" },
    { agents = 5, offered = 600, promoters = 90, passives = 10, detractors = 0, team = "east" },
  ]
  expect {
    breach "nps_below_site" { status = "breached" }
  }
}
