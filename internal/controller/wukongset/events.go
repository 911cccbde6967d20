package wukongset

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/naming"
)

// The set's events say what a batch did to its members in one event per batch ("created members 64–127"),
// never one per member: a 10,000-member set would otherwise write 10,000 events. Only failures are reported
// per member, and those name at most a few members (see describe). The events API (events.k8s.io) refuses a
// note longer than noteLimit and the recorder drops the event silently, so every note is cut to fit.

// noteLimit is the longest note the events API accepts, in bytes.
const noteLimit = 1024

// indexBudget is how much of a note a list of index ranges may take, leaving room for the sentence around it.
const indexBudget = 800

// indexRanges formats indices (in any order, duplicates ignored) as compact ranges — "0–3, 7, 9–12" — of at
// most budget bytes: when they do not fit, the ranges that do are followed by "… and N more" (N members).
func indexRanges(indices []int, budget int) string {
	if len(indices) == 0 {
		return "none"
	}
	sorted := slices.Clone(indices)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	// parts are the ranges; ends[k] is how many indices parts[:k+1] cover.
	var parts []string
	var ends []int
	for i := 0; i < len(sorted); {
		j := i
		for j+1 < len(sorted) && sorted[j+1] == sorted[j]+1 {
			j++
		}
		part := strconv.Itoa(sorted[i])
		if j > i {
			part += "–" + strconv.Itoa(sorted[j])
		}
		parts, ends = append(parts, part), append(ends, j+1)
		i = j + 1
	}
	if all := strings.Join(parts, ", "); len(all) <= budget {
		return all
	}
	// Too long: as many ranges as fit with the tail that says how many members are left out.
	tail := func(left int) string { return fmt.Sprintf(", … and %d more", left) }
	n := 0
	for length := 0; n < len(parts); n++ {
		next := length + len(parts[n])
		if n > 0 {
			next += len(", ")
		}
		if next+len(tail(len(sorted)-ends[n])) > budget {
			break
		}
		length = next
	}
	if n == 0 {
		return fmt.Sprintf("%d members", len(sorted))
	}
	return strings.Join(parts[:n], ", ") + tail(len(sorted)-ends[n-1])
}

// memberRanges is indexRanges of members' indices in set.
func memberRanges(set *vmv1alpha1.WukongSet, ms []*vmv1alpha1.Wukong) string {
	indices := make([]int, 0, len(ms))
	for _, m := range ms {
		if i, ok := naming.MemberIndex(set.Name, m.Name); ok {
			indices = append(indices, i)
		}
	}
	return indexRanges(indices, indexBudget)
}

// capNote cuts a note to noteLimit bytes, at a character boundary, marking the cut with "…".
func capNote(note string) string {
	if len(note) <= noteLimit {
		return note
	}
	const ellipsis = "…"
	cut := noteLimit - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(note[cut]) {
		cut--
	}
	return note[:cut] + ellipsis
}
