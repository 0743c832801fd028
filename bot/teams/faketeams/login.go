package faketeams

import (
	"fmt"
	"net/http"
	"strings"
)

// Scopes the login role hands out and the other roles demand.
const (
	ConnectorScope = "https://api.botframework.com/.default"
	GraphScope     = "https://graph.microsoft.com/.default"
)

// TokenRequest is one request that reached the token endpoint.
type TokenRequest struct {
	Tenant   string // the {tenant} path segment, e.g. "botframework.com" or a tenant id
	Scope    string
	ClientID string
	Granted  bool // whether a token was issued
}

// LoginURL is the fake of https://login.microsoftonline.com; the token
// endpoint is LoginURL()+"/{tenant}/oauth2/v2.0/token".
func (s *Server) LoginURL() string { return s.URL() + "/login" }

// SetCredentials sets the only app id and password the token endpoint
// accepts. Until it is called every client is refused (invalid_client), as
// Entra ID refuses an app it does not know.
func (s *Server) SetCredentials(appID, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appID, s.password = appID, password
}

// SetTenant makes the app single-tenant: token requests for any other
// {tenant} path segment are refused with 400 unauthorized_client and
// AADSTS700016, as Entra ID does when a single-tenant bot asks the
// botframework.com tenant. By default every tenant is accepted.
func (s *Server) SetTenant(tenant string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tenant = tenant
}

// TokenRequests returns the requests that reached the token endpoint
// (injected failures and dropped connections are not included; see Requests).
func (s *Server) TokenRequests() []TokenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]TokenRequest(nil), s.tokenRequests...)
}

// RevokeTokens forgets every access token issued so far, so the connector
// and Graph answer 401 until the client fetches a new one.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.accessTokens)
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request, args []string) {
	tenant := args[0]
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, oauthError("invalid_request", "AADSTS900144: malformed form body"))
		return
	}
	req := TokenRequest{Tenant: tenant, Scope: r.PostForm.Get("scope"), ClientID: r.PostForm.Get("client_id")}
	secret := r.PostForm.Get("client_secret")

	s.mu.Lock()
	defer s.mu.Unlock()
	status, body := http.StatusOK, map[string]any(nil)
	switch {
	case r.PostForm.Get("grant_type") != "client_credentials":
		status, body = http.StatusBadRequest, oauthError("unsupported_grant_type",
			"AADSTS70003: faketeams supports only grant_type=client_credentials")
	case req.Scope == "":
		status, body = http.StatusBadRequest, oauthError("invalid_request",
			"AADSTS900144: The request body must contain the following parameter: 'scope'.")
	case !strings.HasSuffix(req.Scope, "/.default"):
		status, body = http.StatusBadRequest, oauthError("invalid_scope",
			"AADSTS1002012: client credentials scopes must end in /.default")
	case s.appID == "" || req.ClientID != s.appID:
		status, body = http.StatusUnauthorized, oauthError("invalid_client",
			fmt.Sprintf("AADSTS700016: Application with identifier '%s' was not found.", req.ClientID))
	case s.tenant != "" && tenant != s.tenant:
		status, body = http.StatusBadRequest, oauthError("unauthorized_client",
			fmt.Sprintf("AADSTS700016: Application with identifier '%s' was not found in the directory '%s'.", req.ClientID, tenant))
	case secret != s.password:
		status, body = http.StatusUnauthorized, oauthError("invalid_client",
			"AADSTS7000215: Invalid client secret provided.")
	default:
		tok := "faketeams-access-" + randomHex(16)
		s.accessTokens[tok] = req.Scope
		req.Granted = true
		body = map[string]any{
			"token_type":     "Bearer",
			"expires_in":     3600,
			"ext_expires_in": 3600,
			"access_token":   tok,
		}
	}
	s.tokenRequests = append(s.tokenRequests, req)
	writeJSON(w, status, body)
}

func oauthError(code, desc string) map[string]any {
	return map[string]any{"error": code, "error_description": desc}
}

// authorized reports whether r carries a bearer token the login role issued
// for scope.
func (s *Server) authorized(r *http.Request, scope string) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	got, ok := s.accessTokens[tok]
	return ok && got == scope
}
