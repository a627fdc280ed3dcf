package access

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/storetest"
)

// Each failed access through a connector writes one structured log line
// with its reason, and the row the Connecteurs page lists, worded for the
// admin: never an internal error's text.
func TestFailedLogsAndRecords(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	st := storetest.Open(t, func() time.Time { return now })
	sys := sesame.Actor{Label: "test"}
	res, err := st.CreateResource(ctx, sesame.Resource{Slug: "presse", Name: "Presse", Description: "d", URL: "https://example.org/"}, sys)
	if err != nil {
		t.Fatal(err)
	}
	id, err := st.CreateConnector(ctx, sesame.Connector{ResourceID: res, Kind: sesame.ConnectorCAS, CAS: sesame.CASSettings{ServicePrefix: "https://presse.example/"}}, sys)
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.Connector(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	g := &Gate{Store: st, Now: func() time.Time { return now }, Location: time.UTC, Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	tests := []struct {
		name   string
		reason sesame.ConnectorFailureReason
		err    error
		detail string
	}{
		{"refused account", sesame.FailureAccessRefused, sesame.AccessExpired.Err(&sesame.Patron{}, &sesame.Resource{Name: "Presse"}),
			"Motif : compte expiré."},
		{"unreadable secret", sesame.FailureSecretUnreadable, sesame.Errorf(sesame.EForbidden, "Cette ressource est momentanément inaccessible."),
			"La clé secrète ne s'ouvre pas"},
		{"broken connector, French message", sesame.FailureBroken, sesame.Errorf(sesame.EInvalid, "Lien signé : champ {hash} inconnu."),
			"Lien signé : champ {hash} inconnu."},
		{"broken connector, internal error", sesame.FailureBroken, errors.New("sql: database is closed"),
			"Erreur interne : le détail est dans le journal du serveur."},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			g.Failed(ctx, c, 42, tt.reason, tt.err)
			var line map[string]any
			if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
				t.Fatalf("not one JSON log line: %q", logs.String())
			}
			if line["reason"] != string(tt.reason) || line["connector"] != float64(id) || line["patron"] != float64(42) || line["err"] != tt.err.Error() {
				t.Errorf("log line: %v", line)
			}
			all, err := st.ConnectorFailures(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := all[id]; len(got) != i+1 || got[0].Reason != tt.reason || !strings.HasPrefix(got[0].Detail, tt.detail) {
				t.Errorf("recorded %+v, want %d failures, the newest %s %q", got, i+1, tt.reason, tt.detail)
			}
		})
	}
}
