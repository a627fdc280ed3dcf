package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	liberrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/api"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/apptest"
	"github.com/bdf29/sesame/internal/auth"
)

// The OpenAPI library: pb33f's libopenapi-validator, because it was built
// for OpenAPI 3.1, whose schemas are JSON Schema 2020-12 as openapi.json is
// written, has validated 3.1 responses for years, and is maintained;
// kin-openapi's 3.1 support is recent (2026) and newer than our tests.
var (
	specOnce sync.Once
	spec     validator.Validator
	specErr  error
	// problemSchema is components.schemas.Problem, for the answers to
	// paths and methods the description has no operation for.
	problemSchema *base.Schema
)

func openAPIValidator(t testing.TB) validator.Validator {
	t.Helper()
	specOnce.Do(func() {
		doc, err := libopenapi.NewDocument(api.OpenAPI())
		if err != nil {
			specErr = err
			return
		}
		v, errs := validator.NewValidator(doc)
		if len(errs) > 0 {
			specErr = errs[0]
			return
		}
		if ok, verrs := v.ValidateDocument(); !ok {
			specErr = verrs[0]
			return
		}
		model, err := doc.BuildV3Model()
		if err != nil {
			specErr = err
			return
		}
		problemSchema = model.Model.Components.Schemas.GetOrZero("Problem").Schema()
		spec = v
	})
	if specErr != nil {
		t.Fatalf("openapi.json: %v", specErr)
	}
	return spec
}

// undescribed reports whether errs only say that openapi.json has no
// operation for the request.
func undescribed(errs []*liberrors.ValidationError) bool {
	for _, e := range errs {
		if !e.IsPathMissingError() && !e.IsOperationMissingError() {
			return false
		}
	}
	return len(errs) > 0
}

// conformance returns what openapi.json finds wrong with the answer res to
// req, whose body is body; nil when it conforms.
func conformance(t testing.TB, req *http.Request, res *http.Response, body []byte) []string {
	t.Helper()
	res.Body = io.NopCloser(bytes.NewReader(body))
	res.Request = req
	ok, errs := openAPIValidator(t).ValidateHttpResponse(req, res)
	res.Body = io.NopCloser(bytes.NewReader(body))
	if ok {
		return nil
	}
	if undescribed(errs) {
		// No operation to check against: only a 404 or 405 may answer, as
		// problem details.
		if res.StatusCode != http.StatusNotFound && res.StatusCode != http.StatusMethodNotAllowed {
			return []string{fmt.Sprintf("status %d for a path or method openapi.json does not describe; want 404 or 405", res.StatusCode)}
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
			return []string{"Content-Type " + ct + ", want application/problem+json"}
		}
		if ok, errs = schema_validation.NewSchemaValidator().ValidateSchemaBytesWithVersion(problemSchema, body, 3.1); ok {
			return nil
		}
	}
	var out []string
	for _, e := range errs {
		msg := e.Message + ": " + e.Reason
		for _, se := range e.SchemaValidationErrors {
			msg += " [" + se.FieldPath + " " + se.Reason + "]"
		}
		out = append(out, msg)
	}
	return out
}

var hasher = auth.Hasher{Params: auth.Params{Time: 1, Memory: 1024, Threads: 1}, Random: rand.Reader}

// world is a running Sésame with two libraries.
type world struct {
	t                  testing.TB
	app                *app.App
	base               string
	fouesnant, quimper int64
}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{t: t}
	w.app, w.base = apptest.Serve(t, nil, hasher, func(ctx context.Context, a *app.App) error {
		var err error
		actor := sesame.Actor{Label: "test"}
		if w.fouesnant, err = a.Store.CreateLibrary(ctx, sesame.Library{Code: "FOUESNANT", Name: "Médiathèque de Fouesnant", Town: "Fouesnant", ContactEmail: "f@example.org"}, actor); err != nil {
			return err
		}
		w.quimper, err = a.Store.CreateLibrary(ctx, sesame.Library{Code: "QUIMPER", Name: "Médiathèque de Quimper", Town: "Quimper", ContactEmail: "q@example.org"}, actor)
		return err
	})
	return w
}

// key makes a key of a library.
func (w *world) key(lib int64, name string) (sesame.APIKey, string) {
	w.t.Helper()
	k, secret, err := w.app.Store.CreateAPIKey(context.Background(), lib, name, rand.Reader, sesame.Actor{Label: "test"})
	if err != nil {
		w.t.Fatal(err)
	}
	return k, secret
}

// answer is a response of the API, read and checked against openapi.json.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("answer %d is not JSON: %v\n%s", a.status, err, a.body)
	}
}

// problem reads a problem details answer.
func (a answer) problem(t testing.TB) map[string]any {
	t.Helper()
	if ct := a.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("status %d: Content-Type %q, want application/problem+json", a.status, ct)
	}
	var p map[string]any
	a.json(t, &p)
	return p
}

// call sends a request with key (none when "") and checks the answer
// against openapi.json.
func (w *world) call(method, path, key, contentType string, body io.Reader) answer {
	w.t.Helper()
	req, err := http.NewRequest(method, w.base+path, body)
	if err != nil {
		w.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	client := &http.Client{Timeout: time.Minute}
	res, err := client.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	if errs := conformance(w.t, req, res, b); errs != nil {
		w.t.Errorf("%s %s: answer %d does not conform to openapi.json:\n%s\n%s", method, path, res.StatusCode, strings.Join(errs, "\n"), b)
	}
	return answer{status: res.StatusCode, header: res.Header, body: b}
}

func (w *world) postJSON(path, key string, rows any) answer {
	w.t.Helper()
	b, err := json.Marshal(rows)
	if err != nil {
		w.t.Fatal(err)
	}
	return w.call(http.MethodPost, path, key, "application/json", bytes.NewReader(b))
}

// report is the answer of POST …/renewals.
type report struct {
	DryRun bool           `json:"dry_run"`
	Total  int            `json:"total"`
	Counts map[string]int `json:"counts"`
	Lines  []struct {
		Line    int    `json:"line"`
		Card    string `json:"card"`
		Outcome string `json:"outcome"`
		Reason  string `json:"reason"`
	} `json:"lines"`
}
