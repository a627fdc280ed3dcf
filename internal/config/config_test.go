package config

import "testing"

func TestSafeDBMasksPassword(t *testing.T) {
	tests := []struct{ db, want string }{
		{"sesame.db", "sesame.db"},
		{"postgres://sesame:s3cret@db.example:5432/sesame?sslmode=require", "postgres://sesame:xxxxx@db.example:5432/sesame?sslmode=require"},
		{"postgres://db.example/sesame", "postgres://db.example/sesame"},
	}
	for _, tt := range tests {
		c := Config{DB: tt.db}
		if got := c.SafeDB(); got != tt.want {
			t.Errorf("SafeDB(%q): got %q, want %q", tt.db, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"defaults", Config{DB: "s.db", Addr: "127.0.0.1:8080"}, false},
		{"no database", Config{Addr: "127.0.0.1:8080"}, true},
		{"base URL not http", Config{DB: "s.db", BaseURL: "ftp://x"}, true},
		{"job lease too short", Config{DB: "s.db", jobLease: "10ms"}, true},
		{"job lease not a duration", Config{DB: "s.db", jobLease: "soon"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err != nil) != tt.wantErr {
				t.Errorf("got %v, want error %v", err, tt.wantErr)
			}
		})
	}
}
