package wukongset

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func seq(from, to, step int) []int {
	var out []int
	for i := from; i <= to; i += step {
		out = append(out, i)
	}
	return out
}

func TestIndexRanges(t *testing.T) {
	for _, tt := range []struct {
		name    string
		indices []int
		budget  int
		want    string
	}{
		{"none", nil, 100, "none"},
		{"one", []int{5}, 100, "5"},
		{"a run", seq(64, 127, 1), 100, "64–127"},
		{"two adjacent", []int{3, 4}, 100, "3–4"},
		{"unordered with duplicates and gaps", []int{12, 0, 3, 1, 2, 9, 10, 11, 7, 3}, 100, "0–3, 7, 9–12"},
		{"every other index cut to the budget (… is 3 bytes)", seq(0, 20, 2), 20, "0, 2, … and 9 more"},
		{"the first range alone is too long", []int{100000, 100001}, 9, "2 members"},
		{"exactly fits", []int{1, 3, 5}, 7, "1, 3, 5"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := indexRanges(tt.indices, tt.budget)
			if got != tt.want {
				t.Errorf("indexRanges = %q, want %q", got, tt.want)
			}
			if len(got) > tt.budget && got != "none" {
				t.Errorf("%d bytes, budget %d", len(got), tt.budget)
			}
		})
	}
}

// TestIndexRangesWorstCase: the scattered indices of a 10,000-member set (every other one) stay within the
// budget, and a note around them within what the events API accepts.
func TestIndexRangesWorstCase(t *testing.T) {
	got := indexRanges(seq(1, 9999, 2), indexBudget)
	if len(got) > indexBudget {
		t.Fatalf("%d bytes, budget %d", len(got), indexBudget)
	}
	if !strings.HasPrefix(got, "1, 3, 5") || !strings.Contains(got, "… and ") {
		t.Errorf("ranges %q", got)
	}
	if note := "updated members " + got + " in place to revision 0123456789"; len(note) > noteLimit {
		t.Errorf("note of %d bytes", len(note))
	}
}

func TestCapNote(t *testing.T) {
	if got := capNote("short"); got != "short" {
		t.Errorf("capNote(short) = %q", got)
	}
	long := strings.Repeat("é", 600) // 1,200 bytes
	got := capNote(long)
	if len(got) > noteLimit || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
		t.Errorf("capNote: %d bytes, valid UTF-8 %v, suffix %q", len(got), utf8.ValidString(got), got[len(got)-3:])
	}
	if exact := strings.Repeat("a", noteLimit); capNote(exact) != exact {
		t.Error("a note of exactly the limit was cut")
	}
}
