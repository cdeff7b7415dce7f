# Support teams: weekly team scorecard and team pool.
#
# One snapshot is one team's ISO week; the team column holds the site, so
# team.* compares teams of a site and all.* every team of the week.

policy "support_team" {
  title    = "Support teams: weekly scorecard and team pool"
  version  = "2026-W40"
  owner    = "support-leads@example.com"
  currency = "GBP"
  period   = "week"
}

attribute "certified" {
  title = "Every agent of the team holds the current certification"
  type  = "bool"
}

attribute "agents" {
  title    = "Agents on the team this week"
  type     = "number"
  required = true
}

metric "offered" {
  title  = "Inbound calls offered"
  better = "higher"
  min    = 0
}

metric "abandoned" {
  title = "Calls abandoned"
  min   = 0
}

metric "answered_20s" {
  title = "Calls answered within 20 seconds"
  min   = 0
}

metric "promoters" { min = 0 }
metric "passives" { min = 0 }
metric "detractors" { min = 0 }

metric "abandonment" {
  title  = "Abandonment rate"
  better = "lower"
  expr   = "ratio(abandoned, offered)"
  format = "percent"
}

metric "service_level" {
  title  = "Service level 80/20"
  better = "higher"
  expr   = "ratio(answered_20s, offered)"
  format = "percent"
}

metric "nps" {
  title    = "Net promoter score"
  better   = "higher"
  expr     = "nps(promoters, passives, detractors)"
  format   = "number"
  decimals = 1
}

target "abandonment" {
  label     = { en = "Abandonment", id = "Panggilan ditinggalkan" }
  metric    = "abandonment"
  goal      = 0.03
  threshold = 0.05
  stretch   = 0.02
  severity  = "major"
}

target "nps" {
  label     = { en = "Net promoter score", id = "Net promoter score" }
  metric    = "nps"
  goal      = 70
  threshold = 40
  stretch   = 80
}

target "service_level" {
  label     = { en = "Service level", id = "Tingkat layanan" }
  metric    = "service_level"
  goal      = 0.8
  threshold = 0.7
  stretch   = 0.9
}

target "volume" {
  label   = { en = "Call volume", id = "Volume panggilan" }
  title   = "At least 500 inbound calls"
  value   = "offered"
  better  = "higher"
  goal    = 500
  scoring = "binary"
}

target "certification" {
  label   = { en = "Certification", id = "Sertifikasi" }
  value   = "certified ? 1 : 0"
  better  = "higher"
  goal    = 1
  scoring = "binary"
}

scorecard "team" {
  label        = { en = "Team", id = "Tim" }
  weights      = { abandonment = 25, nps = 25, service_level = 30, certification = 20 }
  missing      = "zero"
  min_coverage = 60

  band "gold" { min = 1.05 }
  band "silver" { min = 0.95 }
  band "bronze" { min = 0.85 }
}

breach "nps_below_site" {
  label    = { en = "NPS below the site", id = "NPS di bawah rata-rata situs" }
  title    = "NPS 20 points under the average of every team this week"
  when     = "nps < all.avg.nps - 20"
  severity = "minor"
}

incentive "team_pool" {
  label = { en = "Team pool", id = "Dana tim" }
  title = "Weekly team pool: 40 GBP an agent by band"
  code  = "POOL"

  gate "volume" { when = "target.volume.met" }
  gate "no_major_breach" { when = "breaches.major == 0" }

  basis = "agents * 40"
  tier "gold" {
    when       = "band.team == 'gold'"
    multiplier = 1.5
  }
  tier "silver" {
    when       = "band.team == 'silver'"
    multiplier = 1
  }
  tier "bronze" {
    when       = "band.team == 'bronze'"
    multiplier = 0.5
  }
  cap      = "agents * 60"
  rounding = "half_up"
}
