package version

import (
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	vcs := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/novasphere/wukong", Version: "v0.2.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123abcd"},
			{Key: "vcs.time", Value: "2026-11-01T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	tests := []struct {
		name                    string
		ldVersion, ldCommit     string
		ldDate                  string
		bi                      *debug.BuildInfo
		wantVersion, wantCommit string
		wantDate                string
	}{
		{name: "linker values win", ldVersion: "v1.0.0", ldCommit: "feedface", ldDate: "2026-11-27T12:00:00Z", bi: vcs,
			wantVersion: "v1.0.0", wantCommit: "feedface", wantDate: "2026-11-27T12:00:00Z"},
		{name: "build info fills the gaps, dirty tree marked", bi: vcs,
			wantVersion: "v0.2.0", wantCommit: "0123abcd-dirty", wantDate: "2026-11-01T10:00:00Z"},
		{name: "linker version, build info commit", ldVersion: "v1.0.0", bi: vcs,
			wantVersion: "v1.0.0", wantCommit: "0123abcd-dirty", wantDate: "2026-11-01T10:00:00Z"},
		{name: "a checkout build without VCS stamping", bi: &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}},
			wantVersion: "(devel)", wantCommit: Unknown, wantDate: Unknown},
		{name: "no build info at all",
			wantVersion: Unknown, wantCommit: Unknown, wantDate: Unknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := resolve(tc.ldVersion, tc.ldCommit, tc.ldDate, tc.bi)
			if got.Version != tc.wantVersion || got.GitCommit != tc.wantCommit || got.BuildDate != tc.wantDate {
				t.Errorf("got %+v; want version %q, commit %q, date %q", got, tc.wantVersion, tc.wantCommit, tc.wantDate)
			}
			if got.GoVersion == "" || got.Platform == "" {
				t.Errorf("got %+v; want the Go version and platform", got)
			}
		})
	}
}
