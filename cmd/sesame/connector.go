package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/bdf29/sesame"
	"github.com/bdf29/sesame/internal/app"
	"github.com/bdf29/sesame/internal/config"
	"github.com/bdf29/sesame/internal/saml"
	"github.com/bdf29/sesame/internal/store"
)

const connectorUsage = `usage:
  sesame connector add --resource SLUG --kind oidc --client-id ID [--client-secret SECRET|-] --redirect-uri URI [--redirect-uri URI …] [--release-email] [--id-token-alg ES256]
  sesame connector add --resource SLUG --kind cas --service URL_PREFIX [--release-email]
  sesame connector add --resource SLUG --kind saml --metadata FILE [--attribute NAME …] [--direct]
  sesame connector add --resource SLUG --kind signed-link --preset NAME --secret SECRET|- --url TEMPLATE [--hash H --signed TEMPLATE --time-format F --time-zone Z]
  sesame connector add --resource SLUG --kind sip2 --sip-login LOGIN --sip-password PASSWORD|-
  sesame connector list
  sesame connector remove ID
Every command takes --db. A secret given as "-" is read from standard input,
so that it stays out of the shell history and the process list`

// multiFlag collects a flag given several times.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func connectorCommand(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, env config.Env) error {
	if len(args) == 0 {
		return errors.New(connectorUsage)
	}
	fs := flag.NewFlagSet("connector "+args[0], flag.ContinueOnError)
	var c sesame.Connector
	var resource, kind, metadataFile, sipPassword string
	var redirects, attributes multiFlag
	var direct bool
	switch args[0] {
	case "add":
		fs.StringVar(&resource, "resource", "", "short name (slug) of the resource the connector opens")
		fs.StringVar(&kind, "kind", "", "oidc, cas, saml, signed-link or sip2")
		fs.StringVar(&c.OIDC.ClientID, "client-id", "", "oidc: the client_id given to the vendor")
		fs.StringVar(&c.OIDC.IDTokenSignedResponseAlg, "id-token-alg", "", "oidc: RS256 (default) or ES256, as the vendor asks")
		fs.StringVar(&c.Secret, "client-secret", "", "oidc: the client secret (none: a public client, which must use PKCE)")
		fs.Var(&redirects, "redirect-uri", "oidc: an exact redirect_uri (repeat for several)")
		fs.BoolVar(&c.OIDC.ReleaseEmail, "release-email", false, "oidc: release the e-mail claim when the scope asks for it; cas: add the e-mail to the CAS 3.0 attributes")
		fs.StringVar(&c.CAS.ServicePrefix, "service", "", "cas: the URL prefix of the vendor's service URLs")
		fs.StringVar(&metadataFile, "metadata", "", "saml: the service provider's metadata XML file")
		fs.Var(&attributes, "attribute", "saml: an attribute to release (repeat; default: names, library code, end of validity)")
		fs.BoolVar(&direct, "direct", false, "saml: « Connexion directe »: « Accéder » sends an unsolicited Response (IdP-initiated)")
		fs.StringVar(&c.Link.Preset, "preset", "", "signed-link: mediatheque-numerique, tout-apprendre or custom")
		fs.StringVar(&c.Link.URL, "url", "", "signed-link: URL template, such as https://v.example/in?id={card}&h={hash}")
		fs.StringVar(&c.Link.Hash, "hash", "", "signed-link, custom: md5, sha1, sha256 or hmac-sha256")
		fs.StringVar(&c.Link.Signed, "signed", "", "signed-link, custom: what is hashed, such as {card}{time}{secret}")
		fs.StringVar(&c.Link.TimeFormat, "time-format", "", "signed-link, custom: such as YYYYMMDDHHmm, or unix")
		fs.StringVar(&c.Link.TimeZone, "time-zone", "", "signed-link: the vendor's time zone (default Europe/Paris)")
		fs.StringVar(&c.SIP2.Login, "sip-login", "", "sip2: the login the vendor's SIP2 client sends in message 93 (CN)")
		fs.StringVar(&sipPassword, "sip-password", "", "sip2: the vendor's SIP2 password (CO), 12 to 64 characters; - reads it from standard input")
		secretFlag := fs.Lookup("client-secret")
		fs.Func("secret", "signed-link: the vendor's key", func(v string) error { return secretFlag.Value.Set(v) })
	case "list", "remove":
	default:
		return errors.New(connectorUsage)
	}
	st, _, err := loadAndOpen(ctx, fs, args[1:], env)
	if err != nil {
		return err
	}
	defer st.Close()
	actor := sesame.Actor{Label: "ligne de commande"}
	switch args[0] {
	case "list":
		return listConnectors(ctx, st, stdout)
	case "remove":
		id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
		if fs.NArg() != 1 || err != nil {
			return errors.New("usage: sesame connector remove ID (see sesame connector list)")
		}
		if err := st.DeleteConnector(ctx, id, actor); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Connector %d removed.\n", id)
		return nil
	}
	k, ok := sesame.ParseConnectorKind(kind)
	if !ok {
		return fmt.Errorf("--kind %q: want oidc, cas, saml, signed-link or sip2", kind)
	}
	c.Kind = k
	res, err := st.ResourceBySlug(ctx, resource)
	if err != nil {
		return fmt.Errorf("--resource %q: %w", resource, err)
	}
	c.ResourceID = res.ID
	c.OIDC.RedirectURIs = redirects
	// --release-email serves OpenID Connect and CAS alike.
	c.CAS.ReleaseEmail = k == sesame.ConnectorCAS && c.OIDC.ReleaseEmail
	if c.Secret == "-" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read secret: %w", err)
		}
		c.Secret = strings.TrimRight(line, "\r\n")
	}
	if k == sesame.ConnectorSAML {
		if c.SAML, err = readSAMLMetadata(metadataFile); err != nil {
			return err
		}
		c.SAML.Attributes = attributes
		c.SAML.Direct = direct
	}
	if k == sesame.ConnectorSignedLink {
		c.Link.ApplyPreset()
	}
	if k == sesame.ConnectorSIP2 {
		if c.SIP2.PasswordHash, err = sip2PasswordHash(sipPassword, stdin); err != nil {
			return err
		}
	}
	id, err := st.CreateConnector(ctx, c, actor)
	if err != nil {
		return explain(err)
	}
	fmt.Fprintf(stdout, "Connector %d added: %s, for %s.\n", id, c.Label(), res.Name)
	return nil
}

// sip2PasswordHash checks the vendor's SIP2 password, read from stdin when
// it is "-", and hashes it with argon2id: Sésame only checks it, so it keeps
// no way back to the clear text.
func sip2PasswordHash(password string, stdin io.Reader) (string, error) {
	if password == "-" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read SIP2 password: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	if msg := sesame.CheckSIP2Password(password); msg != "" {
		return "", fmt.Errorf("--sip-password: %s", msg)
	}
	h, err := app.Hasher().Hash(password)
	if err != nil {
		return "", fmt.Errorf("hash SIP2 password: %w", err)
	}
	return h, nil
}

// explain spells out a validation error's messages, one per line.
func explain(err error) error {
	var e *sesame.Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		var lines []string
		for _, msg := range e.Fields {
			lines = append(lines, "  "+msg)
		}
		return fmt.Errorf("connector not added:\n%s", strings.Join(lines, "\n"))
	}
	return err
}

func readSAMLMetadata(path string) (sesame.SAMLSettings, error) {
	if path == "" {
		return sesame.SAMLSettings{}, errors.New("--metadata: give the service provider's metadata XML file")
	}
	body, err := os.ReadFile(path) // #nosec G304 -- the operator names the file on the command line
	if err != nil {
		return sesame.SAMLSettings{}, fmt.Errorf("--metadata: %w", err)
	}
	// Checked now as the identity provider will read it, so that a vendor's
	// unusable metadata is refused here rather than at a patron's login.
	settings, err := saml.ReadMetadata(body)
	if err != nil {
		return sesame.SAMLSettings{}, fmt.Errorf("--metadata %s: %s", path, sesame.ErrorMessage(err))
	}
	return settings, nil
}

func listConnectors(ctx context.Context, st *store.Store, stdout io.Writer) error {
	list, err := st.Connectors(ctx)
	if err != nil {
		return err
	}
	resources, err := st.Resources(ctx)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, r := range resources {
		names[r.ID] = r.Slug
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRESOURCE\tKIND\tIDENTIFIES\tSECRET")
	for _, c := range list {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", c.ID, names[c.ResourceID], c.Kind, strings.TrimPrefix(c.Label(), c.Kind.Label()+" · "), c.MaskedSecret())
	}
	return tw.Flush()
}
