// Command origin is an origin behind Portcullis that checks the identity assertion with
// golang-jwt (v4) before trusting any X-Portcullis-* header.
//
//	PORTCULLIS_ORIGIN_KEY="$(cat origin-ring.json)" ORIGIN_URL=https://origin.example \
//	  PORT=8788 go run ./origin
//
// Environment: PORTCULLIS_ORIGIN_KEY (the gate's secret of that name: a JWK Set or one JWK),
// ORIGIN_URL (the gate's setting of that name: the URL the gate forwards to), PORT (0 picks a
// free one). Prints "listening on http://127.0.0.1:PORT". Answers 200 with the verified
// claims as JSON, or 401 naming why the assertion was refused.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"example.com/portcullis-examples/ring"
	"github.com/golang-jwt/jwt/v4"
)

const leeway = 5 * time.Second // clock skew between the gate and this origin

// expectedHTU is htu as the gate computes it: ORIGIN_URL's scheme://host[:port] and the
// request-target's path exactly as received (r.RequestURI, still percent-encoded; not
// r.URL.Path, which is decoded), without the query.
func expectedHTU(originURL *url.URL, r *http.Request) string {
	path := strings.SplitN(r.RequestURI, "?", 2)[0]
	return originURL.Scheme + "://" + originURL.Host + path
}

func verifyAssertion(keys []ring.JWK, r *http.Request, htu string) (jwt.MapClaims, error) {
	assertion := r.Header.Get("X-Portcullis-Assertion")
	if assertion == "" {
		return nil, errors.New("no X-Portcullis-Assertion: the request did not come through the gate")
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"HS256"}),
		// v4 checks exp/iat without leeway; they are checked below, with it (v5: WithLeeway).
		jwt.WithoutClaimsValidation(),
	)
	claims := jwt.MapClaims{}
	_, err := parser.ParseWithClaims(assertion, claims, func(t *jwt.Token) (interface{}, error) {
		kid, hasKid := t.Header["kid"].(string) // by kid while a ring rotates
		k, err := ring.ByKid(keys, kid, hasKid)
		if err != nil {
			return nil, err
		}
		return k.Secret()
	})
	if err != nil {
		return nil, err
	}
	now := time.Now()
	exp, okExp := claims["exp"].(float64)
	iat, okIat := claims["iat"].(float64)
	switch {
	case !okExp || !okIat:
		return nil, errors.New("exp and iat are required")
	case now.After(time.Unix(int64(exp), 0).Add(leeway)):
		return nil, errors.New("assertion expired")
	case time.Unix(int64(iat), 0).After(now.Add(leeway)):
		return nil, errors.New("assertion issued in the future")
	case claims["iss"] != "portcullis":
		return nil, errors.New("issuer is not portcullis")
	case claims["htm"] != r.Method || claims["htu"] != htu:
		return nil, errors.New("assertion is for another request")
	}
	return claims, nil
}

func main() {
	keys, err := ring.Parse(os.Getenv("PORTCULLIS_ORIGIN_KEY"))
	originURL, urlErr := url.Parse(os.Getenv("ORIGIN_URL"))
	if err != nil || urlErr != nil || originURL.Host == "" {
		fmt.Fprintln(os.Stderr, "usage: PORTCULLIS_ORIGIN_KEY=<JWK or JWK Set> ORIGIN_URL=<url> [PORT=n] origin")
		os.Exit(2)
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8788"
	}
	listener, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, "origin:", err)
		os.Exit(1)
	}
	fmt.Printf("listening on http://%s\n", listener.Addr())
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "application/json")
		claims, err := verifyAssertion(keys, r, expectedHTU(originURL, r))
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			_ = json.NewEncoder(w).Encode(map[string]any{"verified_by": "go", "error": err.Error()})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"verified_by": "go", "sub": claims["sub"], "scope": claims["scope"], "htu": claims["htu"],
		})
	})
	fmt.Fprintln(os.Stderr, http.Serve(listener, handler))
	os.Exit(1)
}
