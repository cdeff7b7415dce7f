//go:build !unix

package engine

import (
	"errors"
	"testing"
)

func mkfifo(string) error { return errors.ErrUnsupported }

func setUmask(*testing.T, int) bool { return false }
