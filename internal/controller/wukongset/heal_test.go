package wukongset

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPlanHealing(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	mark := func(kind string, d time.Duration) string { return kind + "/" + ago(d).Format(time.RFC3339) }
	failing := func(name string, since time.Duration, heal string) healMember {
		return healMember{Name: name, NotReady: true, Failing: true, FailingSince: ago(since), Why: "VMFailed: crash", Heal: heal}
	}
	starting := func(name string, since time.Duration, heal string) healMember {
		m := failing(name, since, heal)
		m.Failing = false
		return m
	}
	const failedFor = 5 * time.Minute
	cases := []struct {
		name        string
		members     []healMember
		max         int
		wantActions []healAction
		wantHealing int
		wantRecheck time.Duration
	}{
		{"healthy members need nothing", []healMember{{Name: "s-0"}, {Name: "s-1", Heal: mark(healRestart, time.Hour)}}, 1, nil, 0, 0},
		{"failing, not long enough: recheck when due", []healMember{failing("s-0", 2*time.Minute, "")}, 1, nil, 0, 3 * time.Minute},
		{"failing long enough: restart", []healMember{failing("s-0", 6*time.Minute, "")}, 1,
			[]healAction{{Name: "s-0", Kind: healRestart, Why: "VMFailed: crash"}}, 0, 0},
		{"restarted, still failing, not long enough: wait", []healMember{failing("s-0", 10*time.Minute, mark(healRestart, time.Minute))}, 1,
			nil, 1, 4 * time.Minute},
		{"restarted and still failing for failedFor: re-create", []healMember{failing("s-0", 20*time.Minute, mark(healRestart, 6*time.Minute))}, 1,
			[]healAction{{Name: "s-0", Kind: healRecreate, Why: "VMFailed: crash"}}, 0, 0},
		{"re-created and still failing: given up, reported", []healMember{failing("s-0", time.Hour, mark(healRecreate, 6*time.Minute))}, 1,
			nil, 1, 0},
		{"failing again after recovering starts over with a restart", []healMember{failing("s-0", 6*time.Minute, mark(healRecreate, time.Hour))}, 1,
			[]healAction{{Name: "s-0", Kind: healRestart, Why: "VMFailed: crash"}}, 0, 0},
		{"the cap holds new restarts while one member is healed", []healMember{
			failing("s-0", time.Hour, mark(healRestart, time.Minute)), failing("s-1", time.Hour, ""), failing("s-2", time.Hour, "")}, 1,
			nil, 3, 4 * time.Minute},
		{"a member being healed moves on to re-create whatever the cap", []healMember{
			failing("s-0", time.Hour, mark(healRestart, 10*time.Minute)), failing("s-1", time.Hour, "")}, 1,
			[]healAction{{Name: "s-0", Kind: healRecreate, Why: "VMFailed: crash"}}, 1, 0},
		{"a cap of two", []healMember{failing("s-0", time.Hour, ""), failing("s-1", time.Hour, ""), failing("s-2", time.Hour, "")}, 2,
			[]healAction{{Name: "s-0", Kind: healRestart, Why: "VMFailed: crash"}, {Name: "s-1", Kind: healRestart, Why: "VMFailed: crash"}}, 1, 0},
		{"a member restarted and starting again is still being healed: it holds the cap", []healMember{
			starting("s-0", time.Hour, mark(healRestart, time.Minute)), failing("s-1", time.Hour, "")}, 1,
			nil, 2, 4 * time.Minute},
		{"a member starting, never healed, is left alone", []healMember{starting("s-0", time.Hour, "")}, 1, nil, 0, 0},
		{"a garbled annotation counts as none", []healMember{failing("s-0", time.Hour, "restart")}, 1,
			[]healAction{{Name: "s-0", Kind: healRestart, Why: "VMFailed: crash"}}, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := planHealing(tc.members, failedFor, tc.max, now)
			if !reflect.DeepEqual(got.Actions, tc.wantActions) || len(got.Healing) != tc.wantHealing || got.Recheck != tc.wantRecheck {
				t.Fatalf("planHealing = actions %+v, healing %q, recheck %s; want %+v, %d healing lines, recheck %s",
					got.Actions, got.Healing, got.Recheck, tc.wantActions, tc.wantHealing, tc.wantRecheck)
			}
			for _, h := range got.Healing {
				if !strings.HasPrefix(h, "s-") {
					t.Errorf("healing line %q does not start with the member's name", h)
				}
			}
		})
	}
}
