// Package ring reads the JWK Sets Portcullis uses (PORTCULLIS_KEYS, PORTCULLIS_ORIGIN_KEY),
// shared by the issuer and the origin examples.
package ring

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// JWK is one `kty: "oct"` key as Portcullis writes it.
type JWK struct {
	Kty    string   `json:"kty"`
	Kid    string   `json:"kid,omitempty"`
	Alg    string   `json:"alg"`
	K      string   `json:"k"`
	KeyOps []string `json:"key_ops,omitempty"`
}

// Secret is the key's bytes (k is unpadded base64url).
func (k JWK) Secret() ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(k.K)
}

// Parse reads a JWK Set ({"keys": [...]}) or, as PORTCULLIS_ORIGIN_KEY may be, one JWK.
func Parse(text string) ([]JWK, error) {
	var set struct {
		Keys []JWK `json:"keys"`
	}
	if err := json.Unmarshal([]byte(text), &set); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if set.Keys != nil {
		return set.Keys, nil
	}
	var one JWK
	if err := json.Unmarshal([]byte(text), &one); err != nil || one.K == "" {
		return nil, errors.New("neither a JWK Set nor a JWK")
	}
	return []JWK{one}, nil
}

// Signing is the key new tokens are signed with: key_ops include "sign", or the only key.
func Signing(keys []JWK) (JWK, error) {
	for _, k := range keys {
		for _, op := range k.KeyOps {
			if op == "sign" {
				return k, nil
			}
		}
	}
	if len(keys) == 1 {
		return keys[0], nil
	}
	return JWK{}, errors.New(`the key ring has no signing key (key_ops ["sign", "verify"])`)
}

// ByKid is the key an assertion or token names; a ring of one key may have no kid.
func ByKid(keys []JWK, kid string, hasKid bool) (JWK, error) {
	if !hasKid && len(keys) == 1 {
		return keys[0], nil
	}
	for _, k := range keys {
		if hasKid && k.Kid == kid {
			return k, nil
		}
	}
	return JWK{}, fmt.Errorf("unknown key %q", kid)
}
