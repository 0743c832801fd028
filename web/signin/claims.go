package signin

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// claims are the ID token's claims muster reads.
type claims struct {
	Email         string   `json:"email"`
	EmailVerified flexBool `json:"email_verified"`
	// EDOV is Microsoft Entra ID's optional claim xms_edov: the e-mail's
	// domain is verified by its owner. Entra sends no email_verified.
	EDOV flexBool `json:"xms_edov"`
	Name string   `json:"name"`
}

// flexBool reads a claim sent as true or as "true" (some providers quote
// their booleans).
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case bool:
		*b = flexBool(v)
	case string:
		*b = flexBool(strings.EqualFold(v, "true"))
	}
	return nil
}

// admit says why the person of c may not sign in, or "".
func (a *Auth) admit(c claims) string {
	if c.Email == "" {
		return "The provider did not say who you are (no e-mail in the ID token); check that the client asks for the email scope."
	}
	if !bool(c.EmailVerified) && !bool(c.EDOV) {
		return fmt.Sprintf("Your e-mail address %s is not verified by the sign-in provider; verify it there and sign in again.", c.Email)
	}
	if len(a.cfg.AllowedDomains) == 0 {
		return ""
	}
	_, domain, _ := strings.Cut(strings.ToLower(c.Email), "@")
	if !slices.Contains(a.cfg.AllowedDomains, domain) {
		return fmt.Sprintf("%s may not sign in here: muster accepts e-mail addresses at %s.", c.Email, strings.Join(a.cfg.AllowedDomains, ", "))
	}
	return ""
}
