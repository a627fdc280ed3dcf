// Command sesame runs the Sésame portal: serve, demo, migrate, admin.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/auth"
	"github.com/bdf29/sesame/internal/config"
	"github.com/bdf29/sesame/internal/demo"
	"github.com/bdf29/sesame/internal/demo/vendor"
	"github.com/bdf29/sesame/internal/jobs"
	"github.com/bdf29/sesame/internal/web"
)

const usage = `Usage: sesame <command> [flags]

Commands:
  serve         serve the portal (--addr, --db; SESAME_ADDR, SESAME_DB, SESAME_BASE_URL)
  demo          seed an empty database with the demo network, then serve it
  migrate       bring the database schema up to date
  jobs ping     enqueue check jobs: each running instance's worker records one audit event per job
  admin create  create a network admin account (--login; password from standard input, or generated)
  admin disable-2fa  turn off a staff member's two-factor login, for one who lost both phone and recovery codes (--login)
  backup        write a consistent copy of the SQLite database while it runs (--db, --out)
  connector     add, list or remove the connectors that open resources (OpenID Connect, CAS, SAML, signed links)
  copy          copy a whole network between databases, SQLite to PostgreSQL above all (--from, --to)
  reminders     list the reminders before the end of validity due on a day, or send them (--date JJ/MM/AAAA, --dry-run)
  apikey        create, list or revoke the keys of the JSON API, one library each (create --library CODE --name NAME; list; revoke --id N)
  import        preview a renewal file exported from the library system (SIGB), or apply it (--library CODE, --encoding E, --apply FILE)

Run "sesame <command> -h" for the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app.TuneGC(os.Getenv)
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "sesame:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env config.Env) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	// zitadel/oidc logs only through the default logger: make it ours.
	slog.SetDefault(logger)
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, logger, env, false)
	case "demo":
		return serve(ctx, args[1:], stdout, logger, env, true)
	case "migrate":
		return migrate(ctx, args[1:], stdout, env)
	case "admin":
		switch {
		case len(args) >= 2 && args[1] == "create":
			return adminCreate(ctx, args[2:], stdin, stdout, env)
		case len(args) >= 2 && args[1] == "disable-2fa":
			return adminDisable2FA(ctx, args[2:], stdout, env)
		}
		return errors.New(`usage: sesame admin create --db PATH --login LOGIN, or sesame admin disable-2fa --db PATH --login LOGIN`)
	case "backup":
		return backup(ctx, args[1:], stdout, env)
	case "jobs":
		if len(args) < 2 || args[1] != "ping" {
			return errors.New(`usage: sesame jobs ping --db DSN [--count N]`)
		}
		return jobsPing(ctx, args[2:], stdout, env)
	case "copy":
		return copyCommand(ctx, args[1:], stdout, stderr)
	case "reminders":
		return remindersCommand(ctx, args[1:], stdout, logger, env)
	case "connector":
		return connectorCommand(ctx, args[1:], stdin, stdout, env)
	case "apikey":
		return apikeyCommand(ctx, args[1:], stdout, env, rand.Reader)
	case "import":
		return importCommand(ctx, args[1:], stdout, logger, env)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func serve(ctx context.Context, args []string, stdout io.Writer, logger *slog.Logger, env config.Env, isDemo bool) error {
	name, defaultDB := "serve", config.DefaultDB
	if isDemo {
		name, defaultDB = "demo", config.DefaultDemoDB
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var demoOpts demo.Options
	if isDemo {
		fs.IntVar(&demoOpts.Patrons, "patrons", 3000, "patrons to generate in an empty database")
		fs.IntVar(&demoOpts.Libraries, "libraries", 0, "libraries to generate (at least the demo's real towns)")
		fs.IntVar(&demoOpts.Largest, "largest", 0, "patrons of FOUESNANT, the largest library (0: spread evenly)")
	}
	cfg, err := config.Load(fs, args, env, defaultDB)
	if err != nil {
		return err
	}
	opts := app.Options{Logger: logger}
	if isDemo {
		opts.DemoMailbox = stdout
		for _, a := range demo.Accounts {
			opts.DemoLogins = append(opts.DemoLogins, web.DemoLogin{Login: a.Login, Password: demo.Password, Role: a.Role})
		}
	}
	var keyFile string
	var demoVendor *vendor.Vendor
	if isDemo {
		// The demo must run with no setting.
		if keyFile, err = useDemoKey(&cfg, stdout); err != nil {
			return err
		}
		demoVendor = vendor.New(cfg.BaseURL, cfg.SecretKey, time.Now, rand.Reader, logger)
		opts.Mounts = map[string]http.Handler{vendor.Prefix: demoVendor.Handler()}
	}
	a, err := app.Open(ctx, cfg, opts)
	if err != nil {
		return err
	}
	defer a.Close()
	if isDemo {
		demoOpts.Today = sesame.DateOf(time.Now(), app.Paris())
		demoOpts.UsageMonths = 8
		if err := seedDemo(ctx, a, demoOpts, demoVendor, stdout); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	fmt.Fprintf(stdout, "Sésame serves %s on http://%s (database %s)\n", name, ln.Addr(), cfg.SafeDB())
	switch {
	case cfg.SMTP.Host == "" && isDemo:
		fmt.Fprintln(stdout, "No SESAME_SMTP_HOST: the demo prints each mail here, with its links (registration, password reset).")
	case cfg.SMTP.Host == "":
		fmt.Fprintln(stdout, "Mail is kept in the outbox, not sent (no SESAME_SMTP_HOST); the network admin sees it, links masked, on « Courriels envoyés ».")
	default:
		fmt.Fprintf(stdout, "Mail is sent through %s\n", cfg.SMTP) // its String leaves the password out
	}
	if isDemo {
		fmt.Fprintf(stdout, "Demo logins, all with the password %s:\n", demo.Password)
		for _, acc := range demo.Accounts {
			fmt.Fprintf(stdout, "  %-28s %s\n", acc.Login, acc.Role)
		}
		printDemoGuide(stdout, cfg, keyFile)
	}
	return a.Serve(ctx, ln)
}

func migrate(ctx context.Context, args []string, stdout io.Writer, env config.Env) error {
	st, _, err := loadAndOpen(ctx, flag.NewFlagSet("migrate", flag.ContinueOnError), args, env)
	if err != nil {
		return err
	}
	defer st.Close()
	pending, err := st.PendingMigrations(ctx)
	if err != nil {
		return err
	}
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Database is up to date (%s, %d migrations applied now).\n", st.Engine(), len(pending))
	return nil
}

func adminCreate(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, env config.Env) error {
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	login := fs.String("login", "", "login of the new network admin")
	name := fs.String("name", "Administration du réseau", "name shown for the account")
	cfg, err := config.Load(fs, args, env, config.DefaultDB)
	if err != nil {
		return err
	}
	*login = sesame.NormalizeLogin(*login)
	if msg := sesame.CheckLogin(*login); msg != "" {
		return errors.New(msg)
	}
	password, generated, err := readPassword(stdin)
	if err != nil {
		return err
	}
	if msg := auth.CheckPassword(password, *login); msg != "" {
		return errors.New(msg)
	}
	hash, err := app.Hasher().Hash(password)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	_, err = st.CreateStaff(ctx, sesame.Staff{Login: *login, Name: *name, Role: sesame.RoleAdmin, PasswordHash: hash},
		sesame.Actor{Label: "ligne de commande"})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Network admin %q created.\n", *login)
	if generated {
		fmt.Fprintf(stdout, "Password: %s\n", password)
	}
	return nil
}

// adminDisable2FA turns off a staff member's second factor from the
// server: the way back in for the last network admin who lost both their
// phone and their recovery codes, or after SESAME_SECRET_KEY was lost.
func adminDisable2FA(ctx context.Context, args []string, stdout io.Writer, env config.Env) error {
	fs := flag.NewFlagSet("admin disable-2fa", flag.ContinueOnError)
	login := fs.String("login", "", "login of the staff member")
	st, _, err := loadAndOpen(ctx, fs, args, env)
	if err != nil {
		return err
	}
	defer st.Close()
	staff, err := st.StaffByLogin(ctx, sesame.NormalizeLogin(*login))
	if err != nil {
		return fmt.Errorf("--login %q: %w", *login, err)
	}
	if err := st.DisableStaffTOTP(ctx, staff.ID, sesame.Actor{Label: "ligne de commande"}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Two-factor login of %q turned off; they log in with their password and may set it up again.\n", staff.Login)
	return nil
}

// readPassword takes the first line of standard input when something is
// piped in, and generates a password when nothing is (or a terminal is).
func readPassword(stdin io.Reader) (password string, generated bool, err error) {
	if f, ok := stdin.(*os.File); !ok || !isTerminal(f) {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", false, fmt.Errorf("read password: %w", err)
		}
		if p := strings.TrimRight(line, "\r\n"); p != "" {
			return p, false, nil
		}
	}
	p, err := auth.GeneratePassword(rand.Reader)
	return p, true, err
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// jobsPing enqueues check jobs, so that an operator sees the background
// workers run: each one leaves an audit event "Tâche de vérification exécutée".
func jobsPing(ctx context.Context, args []string, stdout io.Writer, env config.Env) error {
	fs := flag.NewFlagSet("jobs ping", flag.ContinueOnError)
	count := fs.Int("count", 1, "how many check jobs to enqueue")
	st, _, err := loadAndOpen(ctx, fs, args, env)
	if err != nil {
		return err
	}
	defer st.Close()
	stamp := time.Now().UTC().Format(time.RFC3339)
	for i := 1; i <= *count; i++ {
		if err := st.Enqueue(ctx, jobs.KindPing, fmt.Sprintf("%s n° %d", stamp, i), time.Now()); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "%d check jobs enqueued.\n", *count)
	return nil
}
