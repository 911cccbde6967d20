package testenv

import (
	"testing"
	"time"
)

// PollInterval is how often Eventually checks.
const PollInterval = 50 * time.Millisecond

// Eventually polls check until it returns nil or timeout passes, then fails the test with check's last
// error. Tests wait for state this way instead of sleeping: a sleep is either too short on a loaded machine
// or wastes time on an idle one. Timeouts are generous because the machines are shared; a passing run
// returns as soon as the state is reached.
func Eventually(t testing.TB, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not reached within %s: %v", timeout, err)
		}
		time.Sleep(PollInterval)
	}
}
