package importer

import "strconv"

// fallbackName is the name an environment gets while its import fails,
// so that the other errors can still be found.
const fallbackName = "imported"

// nameRefusal is why no name could be chosen: where, which key, what to do.
type nameRefusal struct {
	Pos     Pos
	Key     string
	Message string
}

// chooseName is an imported environment's name: --name when given (it
// must be a valid name), else the first valid candidate (from the
// values, the .env or the file name). A Note says why when none is.
func chooseName(given string, candidates []string, none nameRefusal) (string, *Note) {
	if given != "" {
		if !ValidName(given) {
			return fallbackName, &Note{Pos: Pos{File: "--name"}, Key: "name",
				Message: strconv.Quote(given) + " is not a valid environment name (lower-case DNS label, at most 32 characters)"}
		}
		return given, nil
	}
	for _, c := range candidates {
		if ValidName(c) {
			return c, nil
		}
	}
	return fallbackName, &Note{Pos: none.Pos, Key: none.Key, Message: none.Message}
}
