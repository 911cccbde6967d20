package main

import (
	"errors"
	"math"
	"os"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

func TestSetMemoryLimit(t *testing.T) {
	// memlimit reads both; set them so the test restores them, then unset them.
	for _, v := range []string{"GOMEMLIMIT", "AUTOMEMLIMIT"} {
		t.Setenv(v, "")
		if err := os.Unsetenv(v); err != nil {
			t.Fatal(err)
		}
	}
	const mib = 1 << 20
	noLimit := func() (uint64, error) { return 0, memlimit.ErrNoLimit }
	broken := func() (uint64, error) { return 0, errors.New("cgroup unreadable") }
	tests := []struct {
		name     string
		ratio    float64
		provider memlimit.Provider
		want     int64
		wantErr  string
	}{
		{"90% of a 512 MiB container", 0.9, memlimit.Limit(512 * mib), 512 * mib * 9 / 10, ""},
		{"all of it", 1, memlimit.Limit(512 * mib), 512 * mib, ""},
		{"off", 0, memlimit.Limit(512 * mib), math.MaxInt64, ""},
		{"no container limit", 0.9, noLimit, math.MaxInt64, ""},
		{"limit unreadable: logged, the manager runs", 0.9, broken, math.MaxInt64, ""},
		{"over 1", 1.5, memlimit.Limit(512 * mib), math.MaxInt64, "--memory-limit-ratio 1.5"},
		{"negative", -0.1, memlimit.Limit(512 * mib), math.MaxInt64, "--memory-limit-ratio -0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetMemoryLimit(math.MaxInt64)
			defer debug.SetMemoryLimit(math.MaxInt64)
			err := setMemoryLimit(tt.ratio, tt.provider)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("error %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want one naming %q", err, tt.wantErr)
			}
			// ApplyRatio rounds down to whole bytes.
			if got := debug.SetMemoryLimit(-1); got < tt.want-1 || got > tt.want {
				t.Errorf("GOMEMLIMIT %d, want %d", got, tt.want)
			}
		})
	}
}
