package wukong

import (
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/handler"
)

func TestMemberPriority(t *testing.T) {
	low := handler.LowPriority
	zero := 0
	cases := []struct {
		name     string
		index    string
		incoming *int
		want     int
	}{
		{"a Wukong of its own", "", nil, maxPriorityIndex},
		{"member 0", "0", nil, maxPriorityIndex},
		{"member 7", "7", nil, maxPriorityIndex - 7},
		{"member 7, handler's default priority", "7", &zero, maxPriorityIndex - 7},
		{"member 7, resync", "7", &low, handler.LowPriority - 7},
		{"beyond the bound", "99999999", nil, 0},
		{"not a number", "x", nil, maxPriorityIndex},
		{"negative", "-3", nil, maxPriorityIndex},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := memberPriority(c.index, c.incoming); got != c.want {
				t.Errorf("memberPriority(%q, %v) = %d, want %d", c.index, c.incoming, got, c.want)
			}
		})
	}
}

// TestMemberPriorityOrder checks the properties the queue relies on: lower indices first, every changed
// event before every unchanged one, and a requeue (which passes the priority served) keeps its place.
func TestMemberPriorityOrder(t *testing.T) {
	low := handler.LowPriority
	for _, i := range []string{"0", "1", "99", "100", "101", "5000", "1048576"} {
		changed := memberPriority(i, nil)
		unchanged := memberPriority(i, &low)
		if changed <= memberPriority("1048577", &low) || unchanged >= memberPriority("1048576", nil) {
			t.Errorf("index %s: changed %d and unchanged %d bands overlap", i, changed, unchanged)
		}
		if again := memberPriority(i, &changed); again != changed {
			t.Errorf("index %s: requeue of changed priority %d gives %d", i, changed, again)
		}
		if again := memberPriority(i, &unchanged); again != unchanged {
			t.Errorf("index %s: requeue of unchanged priority %d gives %d", i, unchanged, again)
		}
	}
	for _, pair := range [][2]string{{"0", "1"}, {"1", "2"}, {"99", "100"}, {"100", "101"}, {"999", "1000"}} {
		if memberPriority(pair[0], nil) <= memberPriority(pair[1], nil) {
			t.Errorf("member %s does not come before member %s", pair[0], pair[1])
		}
		if memberPriority(pair[0], &low) <= memberPriority(pair[1], &low) {
			t.Errorf("unchanged: member %s does not come before member %s", pair[0], pair[1])
		}
	}
}
