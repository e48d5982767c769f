package compose

import "strings"

// literal escapes a value from an environment file for a compose file:
// compose interpolates `$NAME` and `${NAME}` everywhere, including inside
// the default of `${VAR:-default}`, so a `$` written as is would let a
// value read the operator's .env (a marketURL ending in
// `${COUCHDB_PASSWORD}` would send the password to the builds host).
// `$$` is compose's literal dollar. Braces cannot be escaped inside a
// default, so model.Validate refuses them in values that land there.
func literal(s string) string { return strings.ReplaceAll(s, "$", "$$") }
