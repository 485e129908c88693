package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommittedCodesAreCurrent fails when web/packages/core/src/codes.ts
// differs from what the generator makes of internal/protocol today.
func TestCommittedCodesAreCurrent(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	want, err := generate(filepath.Join(root, "internal", "protocol"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, "web", "packages", "core", "src", "codes.ts"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("web/packages/core/src/codes.ts is stale: run `go run ./internal/protocol/tsgen` and commit it")
	}
}

func TestGenerateCoversEveryCode(t *testing.T) {
	dir := t.TempDir()
	src := "package protocol\n\ntype Code string\n\nconst (\n\tCodeA Code = \"a\" // first\n\tCodeB Code = \"b\"\n)\n\nconst (\n\tCloseX = 4000 // x\n\tTypePing = \"ping\"\n\tTypeAlias = TypePing\n\tunexported = 1\n)\n"
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{
		"/** first */\n  A: \"a\",", // comment carried over
		"  B: \"b\",",
		"  X: 4000,",
		"  Ping: \"ping\",",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "Alias") || strings.Contains(s, "unexported") {
		t.Errorf("aliases and unexported constants must be left out:\n%s", s)
	}
}

func TestGenerateFailsWithoutCodes(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte("package protocol\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := generate(dir); err == nil {
		t.Fatal("want an error for a package without codes")
	}
}
