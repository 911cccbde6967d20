package wukongset

import (
	"reflect"
	"testing"

	vmv1alpha1 "github.com/novasphere/wukong/api/v1alpha1"
	"github.com/novasphere/wukong/internal/naming"
)

func members(ready map[int]bool, indices ...int) []member {
	var out []member
	for _, i := range indices {
		out = append(out, member{Name: naming.Member("s", i), Index: i, Ready: ready == nil || ready[i]})
	}
	return out
}

func TestPlanScale(t *testing.T) {
	cases := []struct {
		name string
		in   scaleInput
		want scalePlan
	}{
		{"empty to three", scaleInput{Replicas: 3}, scalePlan{Create: []int{0, 1, 2}}},
		{"steady", scaleInput{Replicas: 3, Members: members(nil, 0, 1, 2)}, scalePlan{}},
		{"fill gap first", scaleInput{Replicas: 4, Members: members(nil, 0, 2, 3)}, scalePlan{Create: []int{1}}},
		{"grow past gaps", scaleInput{Replicas: 5, Members: members(nil, 1, 3)}, scalePlan{Create: []int{0, 2, 4}}},
		{"shrink highest first", scaleInput{Replicas: 2, Members: members(nil, 0, 1, 2, 3)},
			scalePlan{Delete: []string{"s-3", "s-2"}}},
		{"shrink to zero", scaleInput{Replicas: 0, Members: members(nil, 0, 1)}, scalePlan{Delete: []string{"s-1", "s-0"}}},
		{"not ready first", scaleInput{Replicas: 2, Policy: vmv1alpha1.ScaleDownNotReadyFirst,
			Members: members(map[int]bool{0: true, 1: false, 2: true, 3: true}, 0, 1, 2, 3)},
			scalePlan{Delete: []string{"s-1", "s-3"}}},
		{"highest index ignores readiness", scaleInput{Replicas: 3, Policy: vmv1alpha1.ScaleDownHighestIndex,
			Members: members(map[int]bool{1: false, 0: true, 2: true, 3: true}, 0, 1, 2, 3)},
			scalePlan{Delete: []string{"s-3"}}},
		{"named member replaced later", scaleInput{Replicas: 3, Members: members(nil, 0, 1, 2), MembersToDelete: []string{"s-1"}},
			scalePlan{Delete: []string{"s-1"}, Waiting: 1}},
		{"named member with scale down", scaleInput{Replicas: 2, Members: members(nil, 0, 1, 2), MembersToDelete: []string{"s-0"}},
			scalePlan{Delete: []string{"s-0"}}},
		{"named replacement kept", scaleInput{Replicas: 3, DeleteListHash: "h1", MembersToDelete: []string{"s-1"},
			Members: append(members(nil, 0, 2), member{Name: "s-1", Index: 1, Ready: true, DeleteList: "h1"})}, scalePlan{}},
		{"replacement named again under a new list", scaleInput{Replicas: 3, DeleteListHash: "h2", MembersToDelete: []string{"s-1", "s-2"},
			Members: append(members(nil, 0, 2), member{Name: "s-1", Index: 1, Ready: true, DeleteList: "h1"})},
			scalePlan{Delete: []string{"s-1", "s-2"}, Waiting: 2}},
		{"unknown named member ignored", scaleInput{Replicas: 2, Members: members(nil, 0, 1), MembersToDelete: []string{"s-9"}},
			scalePlan{}},
		{"deleting member holds its index", scaleInput{Replicas: 3,
			Members: append(members(nil, 0, 2), member{Name: "s-1", Index: 1, Deleting: true})},
			scalePlan{Waiting: 1}},
		{"taken index skipped", scaleInput{Replicas: 3, Members: members(nil, 0), Taken: map[int]bool{1: true}},
			scalePlan{Create: []int{2, 3}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := planScale(tc.in)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("planScale = %+v, want %+v", got, tc.want)
			}
		})
	}
}
