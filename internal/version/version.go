// Package version is the build's identity: version, git commit and build date. The release build sets them
// with the linker (make build does):
//
//	go build -ldflags "-X github.com/novasphere/wukong/internal/version.version=v0.3.0 \
//	  -X github.com/novasphere/wukong/internal/version.gitCommit=$(git rev-parse HEAD) \
//	  -X github.com/novasphere/wukong/internal/version.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
//
// The Dockerfile sets them from build arguments. A binary built without them (go build, go install) falls back to what the Go toolchain
// records in the binary: the module version, and the VCS revision and commit time when it was built inside
// a git checkout without -buildvcs=false.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set by -ldflags "-X ...". Strings only: the linker can set nothing else.
var (
	version   string
	gitCommit string
	buildDate string
)

// Unknown stands for a value neither the linker nor the build info provides.
const Unknown = "unknown"

// Info describes a build.
type Info struct {
	// Version is a release tag such as v0.3.0, or git describe's output for a build between tags.
	Version string `json:"version"`
	// GitCommit is the full commit hash, with "-dirty" when the work tree had changes (build info only).
	GitCommit string `json:"gitCommit"`
	// BuildDate is when the binary was built (RFC 3339, UTC); from build info it is the commit's time.
	BuildDate string `json:"buildDate"`
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string `json:"goVersion"`
	// Platform is GOOS/GOARCH.
	Platform string `json:"platform"`
}

// String is a one-line summary, for --version and logs.
func (i Info) String() string {
	return fmt.Sprintf("%s (commit %s, built %s, %s, %s)", i.Version, i.GitCommit, i.BuildDate, i.GoVersion, i.Platform)
}

// Get returns this binary's build identity.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(version, gitCommit, buildDate, bi)
}

// resolve prefers the linker's values and fills the others from the build info.
func resolve(ldVersion, ldCommit, ldDate string, bi *debug.BuildInfo) Info {
	info := Info{Version: ldVersion, GitCommit: ldCommit, BuildDate: ldDate, GoVersion: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
		if info.Version == "" && bi.Main.Version != "" {
			info.Version = bi.Main.Version
		}
		settings := map[string]string{}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
		if info.GitCommit == "" && settings["vcs.revision"] != "" {
			info.GitCommit = settings["vcs.revision"]
			if settings["vcs.modified"] == "true" {
				info.GitCommit += "-dirty"
			}
		}
		if info.BuildDate == "" {
			info.BuildDate = settings["vcs.time"]
		}
	}
	for _, v := range []*string{&info.Version, &info.GitCommit, &info.BuildDate} {
		if *v == "" {
			*v = Unknown
		}
	}
	return info
}
