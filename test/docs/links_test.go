package docs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// repoRoot is the repository's top folder, found from this source file.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate this source file")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// markdownFiles are the documents whose links are checked: README.md and docs/*.md, relative to root.
func markdownFiles(t *testing.T, root string) []string {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"README.md"}
	for _, d := range docs {
		files = append(files, filepath.Join("docs", filepath.Base(d)))
	}
	return files
}

var (
	// fence matches a fenced code block (``` or ~~~), whose content is neither links nor headings.
	fence = regexp.MustCompile("(?ms)^[ \t]*(```|~~~).*?^[ \t]*(```|~~~)[ \t]*$")
	// codeSpan matches an inline code span.
	codeSpan = regexp.MustCompile("`+[^`\n]*`+")
	// inlineLink matches [text](target) and ![alt](target "title"), capturing the target.
	// A target in angle brackets may hold spaces.
	inlineLink = regexp.MustCompile(`!?\[[^\]\n]*\]\(\s*(?:<([^>\n]*)>|([^)\s]*))(?:\s+"[^"]*")?\s*\)`)
	// refDef matches a reference definition: [id]: target.
	refDef = regexp.MustCompile(`(?m)^[ \t]{0,3}\[[^\]]+\]:[ \t]*<?(\S+?)>?(?:[ \t]+.*)?$`)
	// atxHeading matches a # heading, capturing its text without trailing #s.
	atxHeading = regexp.MustCompile(`(?m)^[ \t]{0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$`)
	// htmlAnchor matches <a name="x"> and id="x" anchors.
	htmlAnchor = regexp.MustCompile(`<[a-zA-Z][^>]*\s(?:name|id)="([^"]+)"`)
	// scheme matches a link with a URL scheme (https:, mailto:) or a protocol-relative one.
	scheme = regexp.MustCompile(`^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)`)
)

// stripCode removes fenced code blocks and inline code spans, keeping line breaks so line numbers hold.
func stripCode(s string) string {
	blank := func(m string) string { return strings.Repeat("\n", strings.Count(m, "\n")) }
	s = fence.ReplaceAllStringFunc(s, blank)
	return codeSpan.ReplaceAllString(s, "")
}

// headings returns the headings of a Markdown document, code blocks excluded.
func headings(doc string) []string {
	var out []string
	for _, m := range atxHeading.FindAllStringSubmatch(fence.ReplaceAllString(doc, ""), -1) {
		out = append(out, m[1])
	}
	return out
}

// linkText replaces [text](target) by text, as GitHub does before it derives an anchor from a heading.
var linkText = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)

// githubSlug is the anchor GitHub gives a heading: lower case, every character that is not a letter, a
// digit, a space, '-' or '_' dropped, spaces turned into '-'.
func githubSlug(h string) string {
	h = linkText.ReplaceAllString(h, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), unicode.Is(unicode.Mn, r), r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}

// anchors returns every anchor a Markdown document offers: its headings' (a repeated heading gets -1, -2, …
// as on GitHub) and explicit HTML anchors.
func anchors(doc string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, h := range headings(doc) {
		slug := githubSlug(h)
		if n := seen[slug]; n > 0 {
			out[fmt.Sprintf("%s-%d", slug, n)] = true
		} else {
			out[slug] = true
		}
		seen[slug]++
	}
	for _, m := range htmlAnchor.FindAllStringSubmatch(doc, -1) {
		out[m[1]] = true
	}
	return out
}

// link is one link target found in a document.
type link struct {
	line   int
	target string
}

// links returns the link targets of a Markdown document outside code.
func links(doc string) []link {
	doc = stripCode(doc)
	var out []link
	add := func(idx []int) {
		for g := 2; g+1 < len(idx); g += 2 {
			if idx[g] >= 0 {
				out = append(out, link{line: 1 + strings.Count(doc[:idx[0]], "\n"), target: doc[idx[g]:idx[g+1]]})
				return
			}
		}
	}
	for _, idx := range inlineLink.FindAllStringSubmatchIndex(doc, -1) {
		add(idx)
	}
	for _, idx := range refDef.FindAllStringSubmatchIndex(doc, -1) {
		add(idx)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].line < out[j].line })
	return out
}

// TestRelativeLinks fails on a relative link in README.md or docs/*.md whose file does not exist, or whose
// #anchor is not a heading of the linked Markdown file.
func TestRelativeLinks(t *testing.T) {
	root := repoRoot(t)
	cache := map[string]map[string]bool{}
	anchorsOf := func(path string) (map[string]bool, error) {
		if a, ok := cache[path]; ok {
			return a, nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		cache[path] = anchors(string(raw))
		return cache[path], nil
	}
	checked := 0
	for _, rel := range markdownFiles(t, root) {
		raw, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range links(string(raw)) {
			if l.target == "" || scheme.MatchString(l.target) {
				continue
			}
			checked++
			path, frag, _ := strings.Cut(l.target, "#")
			target := filepath.Join(root, rel)
			if path != "" {
				if strings.HasPrefix(path, "/") {
					target = filepath.Join(root, filepath.FromSlash(path))
				} else {
					target = filepath.Join(root, filepath.Dir(rel), filepath.FromSlash(path))
				}
				if _, err := os.Stat(target); err != nil {
					t.Errorf("%s:%d: link %q: %s does not exist", rel, l.line, l.target, relTo(root, target))
					continue
				}
			}
			if frag == "" || !strings.HasSuffix(target, ".md") {
				continue
			}
			a, err := anchorsOf(target)
			if err != nil {
				t.Errorf("%s:%d: link %q: %v", rel, l.line, l.target, err)
				continue
			}
			if !a[frag] {
				t.Errorf("%s:%d: link %q: %s has no heading with anchor #%s", rel, l.line, l.target, relTo(root, target), frag)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no relative link found: the link parser is broken")
	}
}

func relTo(root, path string) string {
	if r, err := filepath.Rel(root, path); err == nil {
		return filepath.ToSlash(r)
	}
	return path
}

// textFiles returns, relative to root, the repository's text files a reference can hide in: sources,
// documents, manifests, charts, golden files. Build outputs, hidden folders and large files are skipped.
func textFiles(t *testing.T, root string) []string {
	t.Helper()
	exts := []string{".go", ".md", ".yaml", ".yml", ".golden", ".json", ".tpl", ".txt", ".sh"}
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := relTo(root, path)
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || rel == "bin" || rel == "dist" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !slices.Contains(exts, filepath.Ext(path)) && d.Name() != "Makefile" && d.Name() != "Dockerfile" {
			return nil
		}
		if info, err := d.Info(); err != nil || info.Size() > 1<<20 {
			return nil
		}
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// docMention matches a path to a document under docs/ written in prose or a comment.
var docMention = regexp.MustCompile(`\bdocs/[A-Za-z0-9_.-]+\.md\b`)

// TestMentionedDocsExist fails when a file of the repository mentions docs/<name>.md and there is no such
// document (a comment pointing at a renamed or unwritten page).
func TestMentionedDocsExist(t *testing.T) {
	root := repoRoot(t)
	for _, rel := range textFiles(t, root) {
		raw, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		// A URL to the published repository (https://github.com/…/blob/main/docs/<name>.md) is a mention too.
		for _, idx := range docMention.FindAllIndex(raw, -1) {
			doc := string(raw[idx[0]:idx[1]])
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(doc))); err != nil {
				t.Errorf("%s:%d: mentions %s, which does not exist", rel, 1+strings.Count(string(raw[:idx[0]]), "\n"), doc)
			}
		}
	}
}

var (
	// sectionRef matches a citation of a numbered design section: "design example 6.1", "Example 3.1",
	// "section 3.3", "design 6.2", "design-6.2", "the design's 3.2".
	sectionRef = regexp.MustCompile(`(?i)\b(?:design(?:'s)?|example|section)[ -](?:example[ -])?(\d+\.\d+)\b`)
	// routeRef matches a citation of one of the design's three routes: "route 2".
	routeRef = regexp.MustCompile(`(?i)\broute (\d+)\b`)
)

// TestDesignReferencesResolve fails when a file of the repository cites a design section ("example 6.1",
// "section 3.3", "route 2") that has no heading in docs/design.md: the samples, tests and docs name the
// design's examples by number, and each number must lead somewhere.
func TestDesignReferencesResolve(t *testing.T) {
	root := repoRoot(t)
	raw, err := os.ReadFile(filepath.Join(root, "docs", "design.md"))
	if err != nil {
		t.Fatal(err)
	}
	hs := headings(string(raw))
	hasHeading := func(re *regexp.Regexp) bool {
		return slices.ContainsFunc(hs, re.MatchString)
	}

	cited := map[string][]string{} // "6.1" or "route 2" -> where
	for _, rel := range textFiles(t, root) {
		raw, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		text := string(raw)
		for _, re := range []*regexp.Regexp{sectionRef, routeRef} {
			for _, idx := range re.FindAllStringSubmatchIndex(text, -1) {
				key := text[idx[2]:idx[3]]
				if re == routeRef {
					key = "route " + key
				}
				where := fmt.Sprintf("%s:%d", rel, 1+strings.Count(text[:idx[0]], "\n"))
				cited[key] = append(cited[key], where)
			}
		}
	}
	for _, want := range []string{"3.1", "3.2", "3.3", "6.1", "6.2", "6.3"} {
		if cited[want] == nil {
			t.Errorf("nothing cites design section %s any more: the reference scanner is broken, or this list is stale", want)
		}
	}

	keys := make([]string, 0, len(cited))
	for k := range cited {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		var re *regexp.Regexp
		if n, ok := strings.CutPrefix(key, "route "); ok {
			re = regexp.MustCompile(`(?i)\broute ` + n + `\b`)
		} else {
			re = regexp.MustCompile(`(?:^|[^\d.])` + regexp.QuoteMeta(key) + `(?:$|[^\d.]|\.\D|\.$)`)
		}
		if !hasHeading(re) {
			t.Errorf("design section %q is cited but docs/design.md has no heading for it; cited at %s",
				key, strings.Join(cited[key], ", "))
		}
	}
}

// TestGithubSlug pins the anchors GitHub gives headings that the docs link to.
func TestGithubSlug(t *testing.T) {
	for h, want := range map[string]string{
		"Design example 3.1 works as written":                                 "design-example-31-works-as-written",
		"Where template variables (`${…}`) may appear":                        "where-template-variables--may-appear",
		"Import once, clone many: `imagePolicy: ImportOnce`":                  "import-once-clone-many-imagepolicy-importonce",
		"rollout pause, rollout resume":                                       "rollout-pause-rollout-resume",
		"3.2 Route 2: a StatefulSet whose pods run `create-vm` (example 3.2)": "32-route-2-a-statefulset-whose-pods-run-create-vm-example-32",
		"A [linked](other.md) heading":                                        "a-linked-heading",
	} {
		if got := githubSlug(h); got != want {
			t.Errorf("githubSlug(%q) = %q, want %q", h, got, want)
		}
	}
}

// TestLinksParser checks what counts as a link: code is not, reference definitions and images are.
func TestLinksParser(t *testing.T) {
	doc := "See [a](a.md) and ![img](img/x.png \"title\").\n" +
		"`[not](code.md)`\n" +
		"```\n[not](fenced.md)\n```\n" +
		"[ref]: ref.md#part\n" +
		"[b](<b c.md>) [web](https://example.com)\n"
	var got []string
	for _, l := range links(doc) {
		got = append(got, fmt.Sprintf("%d:%s", l.line, l.target))
	}
	want := []string{"1:a.md", "1:img/x.png", "6:ref.md#part", "7:b c.md", "7:https://example.com"}
	if !slices.Equal(got, want) {
		t.Errorf("links = %v, want %v", got, want)
	}
}
