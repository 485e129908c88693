package tenant

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Registry is the validated, read-only set of tenants.
type Registry struct {
	byID  map[string]*Tenant
	order []*Tenant
}

// NewRegistry applies defaults to the tenants, validates them and indexes
// them by id.
func NewRegistry(tenants []Tenant) (*Registry, error) {
	r := &Registry{byID: make(map[string]*Tenant, len(tenants))}
	if len(tenants) == 0 {
		return nil, errors.New("no tenants configured")
	}
	for i := range tenants {
		t := tenants[i]
		t.Origins = append([]string(nil), t.Origins...)
		t.applyDefaults()
		if err := t.Validate(); err != nil {
			return nil, fmt.Errorf("tenant %d (%q): %w", i, t.ID, err)
		}
		if _, dup := r.byID[t.ID]; dup {
			return nil, fmt.Errorf("tenant %d: duplicate id %q", i, t.ID)
		}
		r.byID[t.ID] = &t
		r.order = append(r.order, &t)
	}
	return r, nil
}

// Get returns the tenant with the id, or false.
func (r *Registry) Get(id string) (*Tenant, bool) {
	t, ok := r.byID[id]
	return t, ok
}

// All returns the tenants in configuration order.
func (r *Registry) All() []*Tenant { return r.order }

// File is the shape of the tenants file.
type File struct {
	Tenants []Tenant `json:"tenants"`
}

// LoadFile reads and validates a tenants file. Syntax errors name the file
// and line; "env:NAME" API keys are resolved from the environment.
func LoadFile(path string) (*Registry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tenants file: %w", err)
	}
	var f File
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", path, lineOf(data, dec.InputOffset(), err), err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s: trailing data after the tenants object", path)
	}
	for i := range f.Tenants {
		key, err := resolveSecret(f.Tenants[i].APIKey)
		if err != nil {
			return nil, fmt.Errorf("%s: tenant %q apiKey: %w", path, f.Tenants[i].ID, err)
		}
		f.Tenants[i].APIKey = key
	}
	reg, err := NewRegistry(f.Tenants)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return reg, nil
}

func resolveSecret(v string) (string, error) {
	name, ok := strings.CutPrefix(v, "env:")
	if !ok {
		return v, nil
	}
	s := os.Getenv(name)
	if s == "" {
		return "", fmt.Errorf("environment variable %s is empty", name)
	}
	return s, nil
}

// lineOf finds the 1-based line of a decode error.
func lineOf(data []byte, offset int64, err error) int {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		offset = syn.Offset
	case errors.As(err, &typ):
		offset = typ.Offset
	}
	offset = min(max(offset, 0), int64(len(data)))
	return bytes.Count(data[:offset], []byte("\n")) + 1
}
