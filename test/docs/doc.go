// Package docs checks the documentation's cross-references, without a cluster:
//
//   - every relative link in README.md and docs/*.md names a file or folder that exists, and a link to a
//     heading (#anchor) names a heading of the linked Markdown file, with the anchor GitHub gives it;
//   - every docs/<name>.md that any file of the repository mentions (a Go comment, a sample, a chart) exists;
//   - every design section the repository cites ("design example 6.1", "section 3.3", "design-6.2",
//     "route 2") has a heading in docs/design.md.
//
// It reads files only, so it runs in milliseconds: go test ./test/docs/.
package docs
