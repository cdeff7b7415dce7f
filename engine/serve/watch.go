package serve

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watch reloads policies when files under the policy directory change,
// until ctx ends. Editors write in bursts (a temporary file, a rename, a
// chmod): a reload waits for cfg.Debounce of quiet.
func (s *Server) Watch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	watchDirs := func() {
		w.Add(s.cfg.Policies)
		entries, _ := os.ReadDir(s.cfg.Policies)
		for _, e := range entries {
			if e.IsDir() {
				w.Add(filepath.Join(s.cfg.Policies, e.Name())) // adding twice is harmless
			}
		}
	}
	watchDirs()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Op == fsnotify.Chmod {
				continue
			}
			timer.Reset(s.cfg.Debounce)
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			s.log.Warn("watching the policy directory", "error", err)
			timer.Reset(s.cfg.Debounce) // events may have been lost: rescan
		case <-timer.C:
			watchDirs() // new policy directories
			s.reg.rescan()
		}
	}
}
