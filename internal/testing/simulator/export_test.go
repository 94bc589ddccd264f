package simulator

// IssueToken mints an access token as the token endpoint would, for tests
// of a server that serves no HTTP.
func IssueToken(s *Server) string { return s.rest.IssueToken() }
