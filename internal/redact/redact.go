// Package redact keeps secrets (API tokens) out of error messages while
// keeping the errors themselves: the chain stays inspectable with
// errors.Is and errors.As, only the text is masked.
package redact

import (
	"regexp"
	"strings"
)

// Mask is what a secret reads as in messages.
const Mask = "***"

// Error returns err with every secret masked in its message, or err itself
// when no secret appears in it (or err is nil). Empty secrets are ignored.
func Error(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if String(msg, secrets...) == msg {
		return err
	}
	return &masked{err: err, secrets: secrets}
}

// urlPassword is the password of a URL's user info (https://user:pass@host):
// a remote URL may carry its own credentials, which no caller knows to pass.
var urlPassword = regexp.MustCompile(`(://[^/@\s:]*:)[^/@\s]+@`)

// httpUser is the user name alone of an HTTP(S) URL (https://TOKEN@host):
// Git hosts take a token there as readily as in the password.
var httpUser = regexp.MustCompile(`(?i)(https?://)[^/@\s:]+@`)

// String returns s with every non-empty secret, every password inside a
// URL and the lone user name of an HTTP(S) URL replaced by Mask.
func String(s string, secrets ...string) string {
	s = urlPassword.ReplaceAllString(s, "${1}"+Mask+"@")
	s = httpUser.ReplaceAllString(s, "${1}"+Mask+"@")
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, Mask)
		}
	}
	return s
}

type masked struct {
	err     error
	secrets []string
}

func (m *masked) Error() string { return String(m.err.Error(), m.secrets...) }
func (m *masked) Unwrap() error { return m.err }
