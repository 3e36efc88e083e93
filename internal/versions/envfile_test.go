package versions

import "testing"

func TestRewriteKeepsLayout(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "# c\nNODE_VERSION=1.0.0\nX=1\n", "# c\nNODE_VERSION=2.0.0\nNODE_SHA256_X=ab\nX=1\n"},
		{"export, quotes, comment", "export NODE_VERSION='1.0.0'  # pinned\n", "export NODE_VERSION='2.0.0'  # pinned\nNODE_SHA256_X=ab\n"},
		{"unquoted comment and spaces", "  NODE_VERSION = 1.0.0   # c # d\n", "  NODE_VERSION = 2.0.0   # c # d\nNODE_SHA256_X=ab\n"},
		{"crlf, no final newline", "A=1\r\nNODE_VERSION=1.0.0", "A=1\r\nNODE_VERSION=2.0.0\r\nNODE_SHA256_X=ab\r\n"},
		{"commented-out key untouched", "#NODE_VERSION=0.1.0\nNODE_VERSION=1.0.0\n", "#NODE_VERSION=0.1.0\nNODE_VERSION=2.0.0\nNODE_SHA256_X=ab\n"},
		{"existing pin refreshed in place", "NODE_SHA256_X=00\n# x\nNODE_VERSION=1.0.0\n", "NODE_SHA256_X=ab\n# x\nNODE_VERSION=2.0.0\n"},
		{"missing keys appended", "# only a comment\n", "# only a comment\nNODE_VERSION=2.0.0\nNODE_SHA256_X=ab\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := Rewrite([]byte(tc.in), map[string]string{"NODE_VERSION": "2.0.0", "NODE_SHA256_X": "ab"}, []string{"NODE_VERSION", "NODE_SHA256_X"}, "")
			if string(got) != tc.want || !changed {
				t.Errorf("Rewrite(%q)\n got %q (changed %v)\nwant %q", tc.in, got, changed, tc.want)
			}
		})
	}
}

func TestRewriteUnchanged(t *testing.T) {
	in := "NODE_VERSION=2.0.0 # same\n"
	got, changed := Rewrite([]byte(in), map[string]string{"NODE_VERSION": "2.0.0"}, []string{"NODE_VERSION"}, "")
	if changed || string(got) != in {
		t.Errorf("got %q, changed %v; want the input untouched", got, changed)
	}
}
