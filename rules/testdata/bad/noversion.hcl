policy "noversion" { # ERROR missing-attribute "has no version"
  title = "no version"
}

policy "again" { # ERROR policy-block "a second policy block"
  version = "1"
}
