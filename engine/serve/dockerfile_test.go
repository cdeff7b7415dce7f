package serve_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDockerfilePinsItsImages: every base image of the service's
// Dockerfile is pinned by digest, and the container probes itself.
func TestDockerfilePinsItsImages(t *testing.T) {
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	from := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(string(b), -1)
	if len(from) == 0 {
		t.Fatal("no FROM")
	}
	for _, m := range from {
		if !regexp.MustCompile(`@sha256:[0-9a-f]{64}$`).MatchString(m[1]) {
			t.Errorf("FROM %s is not pinned by digest", m[1])
		}
	}
	if !strings.Contains(string(b), `HEALTHCHECK`) || !strings.Contains(string(b), `"healthcheck"`) {
		t.Error("the image has no HEALTHCHECK running rubric healthcheck")
	}
}
