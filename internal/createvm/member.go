// Package createvm is what `wukong create-vm` does for a StatefulSet pod (design route 2): decide the member
// from the pod's name, render its Wukong from a template with the same engine as a WukongSet, apply it with
// server-side apply, and follow it, serving /readyz while it is Ready. cmd/wukong only wires flags to it.
package createvm

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Member is the Wukong create-vm makes, decided from its flags and its pod's name before any cluster call.
type Member struct {
	// Name is the Wukong's name; Set is ${SET}, the StatefulSet's name (the pod name without its ordinal).
	Name, Set string
	// Index is ${INDEX}.
	Index int64
}

// ResolveMember decides the Wukong's name, index and set from the --index and --name flags and the owner
// pod's name (--owner-pod or $POD_NAME), any of which may be empty.
func ResolveMember(index, name, ownerPod string) (Member, error) {
	indexArg := index
	if indexArg == "" {
		indexArg = ownerPod
	}
	if indexArg == "" {
		return Member{}, errors.New("--index is required when neither --owner-pod nor $POD_NAME is set")
	}
	n, set, err := ParseIndex(indexArg)
	if err != nil {
		return Member{}, err
	}
	m := Member{Name: name, Index: n, Set: set}
	if m.Set == "" && ownerPod != "" {
		if _, s, err := ParseIndex(ownerPod); err == nil {
			m.Set = s
		}
	}
	if m.Name == "" {
		m.Name = ownerPod
	}
	if m.Name == "" && set != "" {
		m.Name = indexArg
	}
	if m.Name == "" {
		return Member{}, errors.New("--name is required when neither --owner-pod nor $POD_NAME is set and --index is a number")
	}
	return m, nil
}

// ParseIndex reads an index given as a number ("3") or as a StatefulSet pod name ("vm-set-3"), whose ordinal
// follows the last dash. set is the pod name without "-<ordinal>", empty for a plain number.
func ParseIndex(s string) (index int64, set string, err error) {
	digits := s
	dash := strings.LastIndexByte(s, '-')
	if dash >= 0 {
		set, digits = s[:dash], s[dash+1:]
	}
	n, perr := strconv.ParseInt(digits, 10, 64)
	if perr != nil || strings.Trim(digits, "0123456789") != "" || (dash >= 0 && set == "") {
		return 0, "", fmt.Errorf("--index %q: want a non-negative number or a pod name ending in -<ordinal>, such as vm-set-3", s)
	}
	return n, set, nil
}
