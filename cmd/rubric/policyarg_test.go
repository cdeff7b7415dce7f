package main

import "testing"

func TestPolicyArg(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-p", "a", "-i", "x.csv"}, "a"},
		{[]string{"-i", "x.csv", "--policy", "b"}, "b"},
		{[]string{"--policy=c", "-p", "d"}, "c"},
		{[]string{"-p=e"}, "e"},
		{[]string{"-i", "x.csv", "--", "-p", "f"}, ""},
		{[]string{"-p"}, ""},
		{[]string{"--input", "x.csv"}, ""},
		{nil, ""},
	} {
		if got := policyArg(tt.args); got != tt.want {
			t.Errorf("policyArg(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}
