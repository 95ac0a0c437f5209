// Command issue prints a Portcullis token signed with golang-jwt (v4; v5 works the same way
// for signing): an HS256/384/512 JWT from the signing key of the gate's key ring, with kid.
//
//	PORTCULLIS_KEYS="$(cat ring.json)" go run ./issue alice "orders:read"
//
// Environment: PORTCULLIS_KEYS (the JWK Set, the gate's secret of that name), and optional
// TOKEN_AUDIENCE, TOKEN_ISSUER (must match PORTCULLIS_AUDIENCE / PORTCULLIS_ISSUER when the
// gate sets them), TOKEN_TTL_S (default 300; at most the gate's PORTCULLIS_MAX_TTL_S).
package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"time"

	"example.com/portcullis-examples/ring"
	"github.com/golang-jwt/jwt/v4"
)

func issue(keys []ring.JWK, sub, scope string, ttl time.Duration) (string, error) {
	k, err := ring.Signing(keys)
	if err != nil {
		return "", err
	}
	secret, err := k.Secret()
	if err != nil {
		return "", fmt.Errorf("key %q: k is not base64url", k.Kid)
	}
	method := jwt.GetSigningMethod(k.Alg)
	if method == nil || (k.Alg != "HS256" && k.Alg != "HS384" && k.Alg != "HS512") {
		return "", fmt.Errorf("key %q: unsupported alg %q", k.Kid, k.Alg)
	}
	id := make([]byte, 16) // jti: lets one token be revoked by id
	if _, err := rand.Read(id); err != nil {
		return "", err
	}
	now := time.Now()
	claims := jwt.MapClaims{
		"sub": sub,
		"iat": now.Unix(),
		"exp": now.Add(ttl).Unix(),
		"jti": base64.RawURLEncoding.EncodeToString(id),
	}
	if scope != "" {
		claims["scope"] = scope
	}
	if aud := os.Getenv("TOKEN_AUDIENCE"); aud != "" {
		claims["aud"] = aud
	}
	if iss := os.Getenv("TOKEN_ISSUER"); iss != "" {
		claims["iss"] = iss
	}
	token := jwt.NewWithClaims(method, claims)
	if k.Kid != "" {
		token.Header["kid"] = k.Kid
	}
	return token.SignedString(secret)
}

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 || os.Getenv("PORTCULLIS_KEYS") == "" {
		fmt.Fprintln(os.Stderr, `usage: PORTCULLIS_KEYS=<JWK Set> issue SUB ["scope1 scope2"]`)
		os.Exit(2)
	}
	keys, err := ring.Parse(os.Getenv("PORTCULLIS_KEYS"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "issue: PORTCULLIS_KEYS:", err)
		os.Exit(2)
	}
	scope := ""
	if len(os.Args) == 3 {
		scope = os.Args[2]
	}
	ttl := 300
	if s := os.Getenv("TOKEN_TTL_S"); s != "" {
		if ttl, err = strconv.Atoi(s); err != nil {
			fmt.Fprintln(os.Stderr, "issue: TOKEN_TTL_S is not a number")
			os.Exit(2)
		}
	}
	token, err := issue(keys, os.Args[1], scope, time.Duration(ttl)*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, "issue:", err)
		os.Exit(1)
	}
	fmt.Println(token)
}
