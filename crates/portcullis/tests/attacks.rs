//! Attacks on the strict profile: one table with a row per rule, each asserting the exact
//! [`TokenError`], plus focused tests for rules a row cannot state well.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod common;

use common::*;
use portcullis::codec::b64;
use portcullis::jwt::error::{
    EncodingProblem as E, JsonProblem as J, KeyringError, Segment, TokenError,
};
use portcullis::jwt::keyring::{Alg, Key, Keyring};
use portcullis::jwt::verify::{verify, VerifyPolicy};
use serde_json::json;

use Segment::{Header as H, Payload as P, Signature as S};

/// Signing key for most rows: HS256, kid `k256`.
fn k256() -> Key {
    key(Some("k256"), Alg::HS256, 1)
}
fn k384() -> Key {
    key(Some("k384"), Alg::HS384, 2)
}
fn k512() -> Key {
    key(Some("k512"), Alg::HS512, 3)
}
/// A second HS256 key in the ring, with a different secret.
fn k256b() -> Key {
    key(Some("k256b"), Alg::HS256, 4)
}
/// The attacker's key: same kid and alg as `k256`, different secret.
fn forged() -> Key {
    key(Some("k256"), Alg::HS256, 99)
}

fn main_ring() -> Keyring {
    ring(&[&k256(), &k384(), &k512(), &k256b()])
}

/// The kids of [`main_ring`], the ring most rows verify against.
const MAIN_RING: &[&str] = &["k256", "k384", "k512", "k256b"];

/// Every key a row's ring may name (the attacker's key is in none).
fn all_keys() -> Vec<Key> {
    vec![k256(), k384(), k512(), k256b()]
}

/// The ring of the keys named by `kids`.
fn ring_of(kids: &[&str]) -> Keyring {
    let keys = all_keys();
    let chosen: Vec<&Key> = kids
        .iter()
        .map(|kid| {
            keys.iter()
                .find(|k| k.kid() == Some(kid))
                .expect("a known kid")
        })
        .collect();
    ring(&chosen)
}

const EXP: i64 = NOW + 60;

/// The usual claims: valid at NOW.
fn claims() -> String {
    json!({ "sub": "alice", "iat": NOW, "exp": EXP }).to_string()
}

fn hdr(alg: &str) -> String {
    json!({ "alg": alg, "kid": "k256" }).to_string()
}

fn enc(text: &str) -> String {
    b64::encode(text)
}

struct Case {
    name: String,
    token: String,
    /// The kids of the ring's keys (each from [`all_keys`]).
    ring: Vec<&'static str>,
    policy: VerifyPolicy,
    now: i64,
    want: Result<(), TokenError>,
}

struct Table(Vec<Case>);

impl Table {
    fn row(
        &mut self,
        name: impl Into<String>,
        token: String,
        want: Result<(), TokenError>,
    ) -> &mut Case {
        self.0.push(Case {
            name: name.into(),
            token,
            ring: MAIN_RING.to_vec(),
            policy: policy(),
            now: NOW,
            want,
        });
        self.0.last_mut().unwrap()
    }
    fn bad(&mut self, name: impl Into<String>, token: String, err: TokenError) -> &mut Case {
        self.row(name, token, Err(err))
    }
    fn ok(&mut self, name: impl Into<String>, token: String) -> &mut Case {
        self.row(name, token, Ok(()))
    }
}

impl Case {
    fn at(&mut self, now: i64) -> &mut Self {
        self.now = now;
        self
    }
    fn policy(&mut self, f: impl FnOnce(&mut VerifyPolicy)) -> &mut Self {
        f(&mut self.policy);
        self
    }
    fn ring(&mut self, kids: &[&'static str]) -> &mut Self {
        self.ring = kids.to_vec();
        self
    }
}

/// A token signed by `k256` with header text `h` and payload text `p`.
fn t(h: &str, p: &str) -> String {
    craft(h, p, &k256())
}

/// A token signed by `k256` with the usual header and payload text `p`.
fn tp(p: &str) -> String {
    t(&hdr("HS256"), p)
}

fn enc_err(segment: Segment, problem: E) -> TokenError {
    TokenError::Encoding { segment, problem }
}
fn json_err(segment: Segment, problem: J) -> TokenError {
    TokenError::Json { segment, problem }
}
fn member(segment: Segment, member: &'static str) -> TokenError {
    TokenError::MemberType { segment, member }
}

fn table() -> Table {
    let mut tb = Table(Vec::new());
    let good = t(&hdr("HS256"), &claims());
    let [gh, gp, gs] = segments(&good);
    let key = k256();

    tb.ok("baseline: a well-formed token verifies", good.clone());

    // --- alg none, in any spelling, with an empty and with a real signature ---------------
    for none in ["none", "None", "NONE", "nOnE"] {
        let h = enc(&json!({ "alg": none }).to_string());
        tb.bad(
            format!("alg {none:?}, empty signature"),
            format!("{h}.{gp}."),
            TokenError::UnsecuredAlgorithm,
        );
        tb.bad(
            format!("alg {none:?}, real HS256 signature"),
            t(&hdr(none), &claims()),
            TokenError::UnsecuredAlgorithm,
        );
    }

    // --- algorithm confusion --------------------------------------------------------------
    tb.bad(
        "token says HS384, its kid names an HS256 key",
        t(&hdr("HS384"), &claims()),
        TokenError::AlgorithmKeyMismatch {
            token: Alg::HS384,
            key: Alg::HS256,
        },
    );
    tb.bad(
        "token says HS256, its kid names an HS512 key",
        craft(
            &json!({"alg":"HS256","kid":"k512"}).to_string(),
            &claims(),
            &k512(),
        ),
        TokenError::AlgorithmKeyMismatch {
            token: Alg::HS256,
            key: Alg::HS512,
        },
    );
    tb.bad(
        "HS512 outside the policy's allowlist",
        token_with(&k512(), &json!({ "exp": EXP })),
        TokenError::AlgorithmNotAllowed(Alg::HS512),
    )
    .policy(|p| p.algorithms = vec![Alg::HS256]);
    tb.bad(
        "allowlist checked before the key is even selected",
        craft(
            &json!({"alg":"HS384","kid":"nope"}).to_string(),
            &claims(),
            &key,
        ),
        TokenError::AlgorithmNotAllowed(Alg::HS384),
    )
    .policy(|p| p.algorithms = vec![Alg::HS256]);
    for alg in [
        "RS256", "ES256", "PS256", "EdDSA", "hs256", "Hs256", "HS256 ", "HS", "",
    ] {
        tb.bad(
            format!("alg {alg:?} is unsupported"),
            t(&hdr(alg), &claims()),
            TokenError::UnsupportedAlgorithm,
        );
    }
    tb.bad(
        "no alg",
        t(r#"{"kid":"k256"}"#, &claims()),
        TokenError::MissingAlgorithm,
    );
    tb.bad(
        "alg is a number",
        t(r#"{"alg":256,"kid":"k256"}"#, &claims()),
        member(H, "alg"),
    );
    tb.bad(
        "alg is null",
        t(r#"{"alg":null,"kid":"k256"}"#, &claims()),
        member(H, "alg"),
    );
    tb.bad(
        "alg is an array",
        t(r#"{"alg":["HS256"],"kid":"k256"}"#, &claims()),
        member(H, "alg"),
    );

    // --- base64url: padding, standard alphabet, whitespace, stray bits, in each segment ---
    tb.bad(
        "'=' in header",
        format!("{gh}=.{gp}.{gs}"),
        enc_err(H, E::Padding),
    );
    tb.bad(
        "'=' in payload",
        sign_segments(&gh, &format!("{gp}="), &key),
        enc_err(P, E::Padding),
    );
    tb.bad(
        "'=' in signature",
        format!("{good}="),
        enc_err(S, E::Padding),
    );
    tb.bad(
        "'==' padding in signature",
        format!("{good}=="),
        enc_err(S, E::Padding),
    );
    tb.bad(
        "'+' in header",
        format!("+{}.{gp}.{gs}", &gh[1..]),
        enc_err(H, E::StandardAlphabet),
    );
    tb.bad(
        "'/' in payload",
        sign_segments(&gh, &format!("{}/{}", &gp[..4], &gp[5..]), &key),
        enc_err(P, E::StandardAlphabet),
    );
    tb.bad(
        "'+' in signature",
        format!("{gh}.{gp}.+{}", &gs[1..]),
        enc_err(S, E::StandardAlphabet),
    );
    tb.bad(
        "'/' in signature",
        format!("{gh}.{gp}.{}/", &gs[..gs.len() - 1]),
        enc_err(S, E::StandardAlphabet),
    );
    tb.bad(
        "space inside header",
        format!("{} {}.{gp}.{gs}", &gh[..8], &gh[8..]),
        enc_err(H, E::Whitespace),
    );
    tb.bad(
        "tab inside payload",
        sign_segments(&gh, &format!("{}\t{}", &gp[..8], &gp[8..]), &key),
        enc_err(P, E::Whitespace),
    );
    tb.bad(
        "newline inside signature",
        format!("{gh}.{gp}.{}\n{}", &gs[..8], &gs[8..]),
        enc_err(S, E::Whitespace),
    );
    tb.bad(
        "leading space",
        format!(" {good}"),
        enc_err(H, E::Whitespace),
    );
    tb.bad(
        "leading tab",
        format!("\t{good}"),
        enc_err(H, E::Whitespace),
    );
    tb.bad(
        "trailing newline",
        format!("{good}\n"),
        enc_err(S, E::Whitespace),
    );
    tb.bad(
        "trailing CRLF",
        format!("{good}\r\n"),
        enc_err(S, E::Whitespace),
    );
    tb.bad(
        "trailing space",
        format!("{good} "),
        enc_err(S, E::Whitespace),
    );
    tb.bad(
        "non-base64url byte in header",
        format!("{}?.{gp}.{gs}", &gh[..gh.len() - 1]),
        enc_err(H, E::InvalidCharacter),
    );
    let len_4n1 = (gh.len() - 1) / 4 * 4 + 1;
    tb.bad(
        "impossible header length (4n+1)",
        format!("{}.{gp}.{gs}", &gh[..len_4n1]),
        enc_err(H, E::InvalidLength),
    );
    tb.bad(
        "non-canonical trailing bits in header",
        format!("{}.{gp}.{gs}", non_canonical(&gh)),
        enc_err(H, E::NonCanonical),
    );
    tb.bad(
        "non-canonical trailing bits in payload",
        sign_segments(&gh, &non_canonical(&gp), &key),
        enc_err(P, E::NonCanonical),
    );
    tb.bad(
        "non-canonical trailing bits in signature",
        format!("{gh}.{gp}.{}", non_canonical(&gs)),
        enc_err(S, E::NonCanonical),
    );
    {
        // The payload is covered by the tag as text: a second spelling of the same bytes that
        // keeps the ORIGINAL tag is refused by the tag, before it is decoded.
        tb.bad(
            "non-canonical payload under the original tag",
            format!("{gh}.{}.{gs}", non_canonical(&gp)),
            TokenError::BadSignature,
        );
        let t512 = token_with(&k512(), &json!({ "exp": EXP }));
        let [h5, p5, s5] = segments(&t512);
        tb.bad(
            "non-canonical trailing bits in an HS512 signature",
            format!("{h5}.{p5}.{}", non_canonical(&s5)),
            enc_err(S, E::NonCanonical),
        );
    }

    // --- duplicate members ----------------------------------------------------------------
    tb.bad(
        "duplicate alg in header",
        t(r#"{"alg":"HS256","alg":"HS256","kid":"k256"}"#, &claims()),
        json_err(H, J::DuplicateMember),
    );
    tb.bad(
        "duplicate alg, none first",
        t(r#"{"alg":"none","kid":"k256","alg":"HS256"}"#, &claims()),
        json_err(H, J::DuplicateMember),
    );
    tb.bad(
        "duplicate alg spelled \\u0061lg",
        t(
            r#"{"alg":"HS256","\u0061lg":"none","kid":"k256"}"#,
            &claims(),
        ),
        json_err(H, J::DuplicateMember),
    );
    tb.bad(
        "duplicate kid in header",
        t(r#"{"kid":"k256","alg":"HS256","kid":"k384"}"#, &claims()),
        json_err(H, J::DuplicateMember),
    );
    tb.bad(
        "duplicate exp in payload",
        tp(&format!(r#"{{"exp":{EXP},"exp":{}}}"#, EXP + 9999)),
        json_err(P, J::DuplicateMember),
    );
    tb.bad(
        "duplicate sub spelled \\u0073ub",
        tp(&format!(
            r#"{{"sub":"alice","\u0073ub":"admin","exp":{EXP}}}"#
        )),
        json_err(P, J::DuplicateMember),
    );
    tb.bad(
        "duplicate member in a nested payload object",
        tp(&format!(r#"{{"exp":{EXP},"x":[{{"a":1,"a":2}}]}}"#)),
        json_err(P, J::DuplicateMember),
    );

    // --- header features this profile refuses -------------------------------------------
    let h = |extra: &str| format!(r#"{{"alg":"HS256","kid":"k256",{extra}}}"#);
    tb.bad(
        "crit with a name",
        t(&h(r#""crit":["exp"],"exp":1"#), &claims()),
        TokenError::CriticalHeader,
    );
    tb.bad(
        "crit empty",
        t(&h(r#""crit":[]"#), &claims()),
        TokenError::CriticalHeader,
    );
    tb.bad(
        "crit b64 with b64 false",
        t(&h(r#""b64":false,"crit":["b64"]"#), &claims()),
        TokenError::CriticalHeader,
    );
    tb.bad(
        "b64 false",
        t(&h(r#""b64":false"#), &claims()),
        TokenError::UnencodedPayload,
    );
    tb.bad(
        "b64 true",
        t(&h(r#""b64":true"#), &claims()),
        TokenError::UnencodedPayload,
    );
    tb.bad(
        "zip DEF",
        t(&h(r#""zip":"DEF""#), &claims()),
        TokenError::Compressed,
    );
    tb.bad(
        "cty JWT",
        t(&h(r#""cty":"JWT""#), &claims()),
        TokenError::NestedToken,
    );
    tb.bad(
        "cty jwt",
        t(&h(r#""cty":"jwt""#), &claims()),
        TokenError::NestedToken,
    );
    tb.bad(
        "cty application/jwt",
        t(&h(r#""cty":"application/jwt""#), &claims()),
        TokenError::NestedToken,
    );
    tb.bad(
        "cty is a number",
        t(&h(r#""cty":1"#), &claims()),
        member(H, "cty"),
    );
    tb.bad(
        "typ JOSE",
        t(&h(r#""typ":"JOSE""#), &claims()),
        TokenError::UnexpectedType,
    );
    tb.bad(
        "typ JWS",
        t(&h(r#""typ":"JWS""#), &claims()),
        TokenError::UnexpectedType,
    );
    tb.bad(
        "typ empty",
        t(&h(r#""typ":"""#), &claims()),
        TokenError::UnexpectedType,
    );
    tb.bad(
        "typ is a number",
        t(&h(r#""typ":1"#), &claims()),
        member(H, "typ"),
    );
    tb.ok("typ JWT", t(&h(r#""typ":"JWT""#), &claims()));
    tb.ok("typ at+jwt", t(&h(r#""typ":"at+jwt""#), &claims()));

    // --- key selection --------------------------------------------------------------------
    tb.bad(
        "kid names another HS256 key in the ring",
        t(r#"{"alg":"HS256","kid":"k256b"}"#, &claims()),
        TokenError::BadSignature,
    );
    tb.bad(
        "kid names an HS384 key, token signed with HS256",
        t(r#"{"alg":"HS256","kid":"k384"}"#, &claims()),
        TokenError::AlgorithmKeyMismatch {
            token: Alg::HS256,
            key: Alg::HS384,
        },
    );
    tb.bad(
        "unknown kid",
        t(r#"{"alg":"HS256","kid":"nope"}"#, &claims()),
        TokenError::UnknownKeyId,
    );
    tb.bad(
        "kid differs only in case",
        t(r#"{"alg":"HS256","kid":"K256"}"#, &claims()),
        TokenError::UnknownKeyId,
    );
    tb.bad(
        "kid with a trailing space",
        t(r#"{"alg":"HS256","kid":"k256 "}"#, &claims()),
        TokenError::UnknownKeyId,
    );
    tb.bad(
        "kid with a NUL",
        t(r#"{"alg":"HS256","kid":"k256\u0000"}"#, &claims()),
        TokenError::UnknownKeyId,
    );
    tb.bad(
        "no kid, several keys",
        t(r#"{"alg":"HS256"}"#, &claims()),
        TokenError::MissingKeyId,
    );
    tb.ok(
        "no kid, one key",
        craft(r#"{"alg":"HS256"}"#, &claims(), &key),
    )
    .ring(&["k256"]);
    tb.bad(
        "kid 1000 bytes long",
        t(
            &json!({"alg":"HS256","kid":"k".repeat(1000)}).to_string(),
            &claims(),
        ),
        TokenError::UnknownKeyId,
    );
    tb.bad(
        "kid path traversal",
        t(r#"{"alg":"HS256","kid":"../../etc/passwd"}"#, &claims()),
        TokenError::UnknownKeyId,
    );
    tb.bad(
        "kid unicode",
        t(r#"{"alg":"HS256","kid":"ключ🔑\u202e"}"#, &claims()),
        TokenError::UnknownKeyId,
    );
    tb.bad(
        "kid empty string",
        t(r#"{"alg":"HS256","kid":""}"#, &claims()),
        TokenError::UnknownKeyId,
    );
    tb.bad(
        "kid a number",
        t(r#"{"alg":"HS256","kid":7}"#, &claims()),
        member(H, "kid"),
    );
    tb.bad(
        "kid null",
        t(r#"{"alg":"HS256","kid":null}"#, &claims()),
        member(H, "kid"),
    );
    tb.bad(
        "kid an array",
        t(r#"{"alg":"HS256","kid":["k256"]}"#, &claims()),
        member(H, "kid"),
    );
    tb.bad(
        "kid an object",
        t(r#"{"alg":"HS256","kid":{"k256":1}}"#, &claims()),
        member(H, "kid"),
    );
    {
        // An embedded key (jwk / jku) is ignored: only the ring's keys verify.
        let header = json!({ "alg": "HS256", "kid": "k256", "jwk": forged().to_jwk(), "jku": "https://evil.example/keys" });
        tb.bad(
            "embedded jwk signed by the attacker",
            craft(&header.to_string(), &claims(), &forged()),
            TokenError::BadSignature,
        );
    }

    // --- tags -------------------------------------------------------------------------------
    let raw_tag = b64::decode(&gs).unwrap();
    tb.bad(
        "tag truncated to 16 bytes",
        format!("{gh}.{gp}.{}", b64::encode(&raw_tag[..16])),
        TokenError::TagLength {
            expected: 32,
            found: 16,
        },
    );
    tb.bad(
        "tag truncated to 31 bytes",
        format!("{gh}.{gp}.{}", b64::encode(&raw_tag[..31])),
        TokenError::TagLength {
            expected: 32,
            found: 31,
        },
    );
    tb.bad(
        "tag with a 33rd byte",
        format!("{gh}.{gp}.{}", b64::encode([&raw_tag[..], &[0]].concat())),
        TokenError::TagLength {
            expected: 32,
            found: 33,
        },
    );
    tb.bad(
        "empty tag",
        format!("{gh}.{gp}."),
        TokenError::TagLength {
            expected: 32,
            found: 0,
        },
    );
    {
        let t512 = token_with(&k512(), &json!({ "exp": EXP }));
        let [h5, p5, s5] = segments(&t512);
        let half = b64::encode(&b64::decode(&s5).unwrap()[..32]);
        tb.bad(
            "HS512 tag truncated to 32 bytes",
            format!("{h5}.{p5}.{half}"),
            TokenError::TagLength {
                expected: 64,
                found: 32,
            },
        );
    }
    tb.bad(
        "tag made with a different key",
        craft(&hdr("HS256"), &claims(), &forged()),
        TokenError::BadSignature,
    );
    let mut flipped = raw_tag.clone();
    flipped[31] ^= 1;
    tb.bad(
        "one tag bit flipped",
        format!("{gh}.{gp}.{}", b64::encode(&flipped)),
        TokenError::BadSignature,
    );
    tb.bad(
        "payload swapped under the original tag",
        format!("{gh}.{}.{gs}", enc(r#"{"sub":"admin","exp":1800000000}"#)),
        TokenError::BadSignature,
    );
    tb.bad(
        "expired AND forged: the tag is checked first",
        craft(&hdr("HS256"), r#"{"exp":1}"#, &forged()),
        TokenError::BadSignature,
    );

    // --- segment count and size -------------------------------------------------------------
    tb.bad(
        "empty string",
        String::new(),
        TokenError::SegmentCount { found: 1 },
    );
    tb.bad(
        "one segment",
        gh.clone(),
        TokenError::SegmentCount { found: 1 },
    );
    tb.bad(
        "two segments",
        format!("{gh}.{gp}"),
        TokenError::SegmentCount { found: 2 },
    );
    tb.bad(
        "four segments (trailing dot)",
        format!("{good}."),
        TokenError::SegmentCount { found: 4 },
    );
    tb.bad(
        "four segments",
        format!("{good}.{gs}"),
        TokenError::SegmentCount { found: 4 },
    );
    tb.bad(
        "five empty segments",
        "....".into(),
        TokenError::SegmentCount { found: 5 },
    );
    tb.bad("three empty segments", "..".into(), json_err(H, J::Syntax));
    tb.bad(
        "9 KiB of garbage: too long, not an encoding error",
        "!".repeat(9 * 1024),
        TokenError::TooLong {
            len: 9 * 1024,
            max: 8 * 1024,
        },
    );
    tb.bad(
        "9 KiB of dots",
        ".".repeat(9 * 1024),
        TokenError::TooLong {
            len: 9 * 1024,
            max: 8 * 1024,
        },
    );
    tb.bad(
        "valid token over a small configured limit",
        good.clone(),
        TokenError::TooLong {
            len: good.len(),
            max: 64,
        },
    )
    .policy(|p| p.max_token_len = 64);

    // --- header / payload not a JSON object ---------------------------------------------
    let p = claims();
    let hb = hdr("HS256");
    tb.bad(
        "header not JSON",
        craft_bytes(b"not json", p.as_bytes(), &key),
        json_err(H, J::Syntax),
    );
    tb.bad(
        "header empty",
        craft_bytes(b"", p.as_bytes(), &key),
        json_err(H, J::Syntax),
    );
    tb.bad(
        "header with trailing text",
        craft_bytes(br#"{"alg":"HS256","kid":"k256"} x"#, p.as_bytes(), &key),
        json_err(H, J::Syntax),
    );
    tb.bad(
        "header a JSON array",
        craft_bytes(br#"["alg","HS256"]"#, p.as_bytes(), &key),
        json_err(H, J::NotAnObject),
    );
    tb.bad(
        "header a JSON string",
        craft_bytes(br#""HS256""#, p.as_bytes(), &key),
        json_err(H, J::NotAnObject),
    );
    tb.bad(
        "header null",
        craft_bytes(b"null", p.as_bytes(), &key),
        json_err(H, J::NotAnObject),
    );
    tb.bad(
        "header not UTF-8",
        craft_bytes(b"{\"alg\":\"HS256\xff\"}", p.as_bytes(), &key),
        json_err(H, J::NotUtf8),
    );
    tb.bad(
        "header UTF-16",
        craft_bytes(b"\xff\xfe{\x00}\x00", p.as_bytes(), &key),
        json_err(H, J::NotUtf8),
    );
    let deep = format!(
        r#"{{"alg":"HS256","kid":"k256","x":{}{}}}"#,
        "[".repeat(300),
        "]".repeat(300)
    );
    tb.bad(
        "header nested 300 deep",
        t(&deep, &claims()),
        json_err(H, J::TooDeep),
    );
    tb.bad(
        "payload not JSON",
        craft_bytes(hb.as_bytes(), b"not json", &key),
        json_err(P, J::Syntax),
    );
    tb.bad(
        "payload empty",
        craft_bytes(hb.as_bytes(), b"", &key),
        json_err(P, J::Syntax),
    );
    tb.bad(
        "payload a JSON array",
        craft_bytes(hb.as_bytes(), b"[1,2]", &key),
        json_err(P, J::NotAnObject),
    );
    tb.bad(
        "payload a number",
        craft_bytes(hb.as_bytes(), b"1700000000", &key),
        json_err(P, J::NotAnObject),
    );
    tb.bad(
        "payload not UTF-8",
        craft_bytes(hb.as_bytes(), b"{\"sub\":\"\xc3\x28\"}", &key),
        json_err(P, J::NotUtf8),
    );
    tb.bad(
        "payload with a BOM",
        craft_bytes(hb.as_bytes(), format!("\u{feff}{p}").as_bytes(), &key),
        json_err(P, J::Syntax),
    );
    let deep = format!(
        r#"{{"exp":{EXP},"x":{}{}}}"#,
        "{\"a\":".repeat(300),
        "}".repeat(300)
    );
    tb.bad(
        "payload nested 300 deep",
        tp(&deep),
        json_err(P, J::TooDeep),
    );

    // --- time claims ------------------------------------------------------------------------
    let exp_only = tp(&format!(r#"{{"exp":{EXP}}}"#));
    tb.ok("exp: now = exp - 1", exp_only.clone()).at(EXP - 1);
    tb.bad(
        "exp: now = exp",
        exp_only.clone(),
        TokenError::Expired {
            exp: EXP,
            now: EXP,
            leeway: 0,
        },
    )
    .at(EXP);
    tb.ok("exp: leeway 5, now = exp + 4", exp_only.clone())
        .at(EXP + 4)
        .policy(|p| p.leeway = 5);
    tb.bad(
        "exp: leeway 5, now = exp + 5",
        exp_only.clone(),
        TokenError::Expired {
            exp: EXP,
            now: EXP + 5,
            leeway: 5,
        },
    )
    .at(EXP + 5)
    .policy(|p| p.leeway = 5);
    tb.ok(
        "exp: fractional is rounded down, valid before",
        tp(&format!(r#"{{"exp":{EXP}.9}}"#)),
    )
    .at(EXP - 1);
    tb.bad(
        "exp: fractional is rounded down",
        tp(&format!(r#"{{"exp":{EXP}.9}}"#)),
        TokenError::Expired {
            exp: EXP,
            now: EXP,
            leeway: 0,
        },
    )
    .at(EXP);
    let nbf = NOW;
    let with_nbf = tp(&format!(r#"{{"exp":{EXP},"nbf":{nbf}}}"#));
    tb.ok("nbf: now = nbf", with_nbf.clone()).at(nbf);
    tb.bad(
        "nbf: now = nbf - 1",
        with_nbf.clone(),
        TokenError::NotYetValid {
            nbf,
            now: nbf - 1,
            leeway: 0,
        },
    )
    .at(nbf - 1);
    tb.ok("nbf: leeway 5, now = nbf - 5", with_nbf.clone())
        .at(nbf - 5)
        .policy(|p| p.leeway = 5);
    tb.bad(
        "nbf: leeway 5, now = nbf - 6",
        with_nbf.clone(),
        TokenError::NotYetValid {
            nbf,
            now: nbf - 6,
            leeway: 5,
        },
    )
    .at(nbf - 6)
    .policy(|p| p.leeway = 5);
    let iat = NOW;
    let with_iat = tp(&format!(r#"{{"exp":{EXP},"iat":{iat}}}"#));
    tb.ok("iat: now = iat", with_iat.clone()).at(iat);
    tb.bad(
        "iat: now = iat - 1",
        with_iat.clone(),
        TokenError::IssuedInFuture {
            iat,
            now: iat - 1,
            leeway: 0,
        },
    )
    .at(iat - 1);
    tb.ok("iat: leeway 5, now = iat - 5", with_iat.clone())
        .at(iat - 5)
        .policy(|p| p.leeway = 5);
    tb.bad(
        "iat: leeway 5, now = iat - 6",
        with_iat.clone(),
        TokenError::IssuedInFuture {
            iat,
            now: iat - 6,
            leeway: 5,
        },
    )
    .at(iat - 6)
    .policy(|p| p.leeway = 5);
    tb.bad(
        "no exp",
        tp(r#"{"sub":"alice"}"#),
        TokenError::MissingExpiry,
    );
    tb.bad("empty claims", tp("{}"), TokenError::MissingExpiry);
    for claim in ["exp", "nbf", "iat"] {
        let with = |v: &str| {
            if claim == "exp" {
                tp(&format!(r#"{{"exp":{v}}}"#))
            } else {
                tp(&format!(r#"{{"exp":{EXP},"{claim}":{v}}}"#))
            }
        };
        tb.bad(
            format!("{claim} a string"),
            with(r#""123""#),
            TokenError::NumericClaimIsString(claim),
        );
        tb.bad(
            format!("{claim} a numeric string"),
            with(&format!(r#""{NOW}""#)),
            TokenError::NumericClaimIsString(claim),
        );
        tb.bad(format!("{claim} true"), with("true"), member(P, claim));
        tb.bad(format!("{claim} null"), with("null"), member(P, claim));
        tb.bad(
            format!("{claim} an array"),
            with(&format!("[{NOW}]")),
            member(P, claim),
        );
        tb.bad(format!("{claim} an object"), with("{}"), member(P, claim));
        tb.bad(
            format!("{claim} 1e300"),
            with("1e300"),
            TokenError::NumericClaimOutOfRange(claim),
        );
        tb.bad(
            format!("{claim} -1e300"),
            with("-1e300"),
            TokenError::NumericClaimOutOfRange(claim),
        );
        tb.bad(
            format!("{claim} 2^53"),
            with("9007199254740992"),
            TokenError::NumericClaimOutOfRange(claim),
        );
        tb.bad(
            format!("{claim} u64::MAX"),
            with("18446744073709551615"),
            TokenError::NumericClaimOutOfRange(claim),
        );
        tb.bad(
            format!("{claim} i64::MIN"),
            with("-9223372036854775808"),
            TokenError::NumericClaimOutOfRange(claim),
        );
        tb.bad(
            format!("{claim} 1e400 (not representable)"),
            with("1e400"),
            json_err(P, J::Syntax),
        );
    }

    // --- audience and issuer ----------------------------------------------------------------
    let aud = |v: &str| tp(&format!(r#"{{"exp":{EXP},"aud":{v}}}"#));
    let api = |p: &mut VerifyPolicy| p.audience = Some("api".into());
    tb.ok("aud string matches", aud(r#""api""#)).policy(api);
    tb.ok("aud array contains", aud(r#"["web","api"]"#))
        .policy(api);
    tb.bad(
        "aud string mismatch",
        aud(r#""web""#),
        TokenError::AudienceMismatch,
    )
    .policy(api);
    tb.bad(
        "aud differs in case",
        aud(r#""API""#),
        TokenError::AudienceMismatch,
    )
    .policy(api);
    tb.bad(
        "aud array lacks ours",
        aud(r#"["web","apis"]"#),
        TokenError::AudienceMismatch,
    )
    .policy(api);
    tb.bad("aud empty array", aud("[]"), TokenError::AudienceMismatch)
        .policy(api);
    tb.bad(
        "aud configured, token has none",
        exp_only.clone(),
        TokenError::AudienceMismatch,
    )
    .policy(api);
    tb.bad(
        "token aud, none configured",
        aud(r#""api""#),
        TokenError::AudienceNotConfigured,
    );
    tb.bad(
        "token aud array, none configured",
        aud(r#"["api"]"#),
        TokenError::AudienceNotConfigured,
    );
    tb.bad("aud a number", aud("1"), member(P, "aud"))
        .policy(api);
    tb.bad(
        "aud array with a number",
        aud(r#"["api",1]"#),
        member(P, "aud"),
    )
    .policy(api);
    let iss = |v: &str| tp(&format!(r#"{{"exp":{EXP},"iss":{v}}}"#));
    let issuer = |p: &mut VerifyPolicy| p.issuer = Some("https://issuer.example".into());
    tb.ok("iss matches", iss(r#""https://issuer.example""#))
        .policy(issuer);
    tb.bad(
        "iss mismatch",
        iss(r#""https://evil.example""#),
        TokenError::IssuerMismatch,
    )
    .policy(issuer);
    tb.bad(
        "iss with a trailing slash",
        iss(r#""https://issuer.example/""#),
        TokenError::IssuerMismatch,
    )
    .policy(issuer);
    tb.bad("iss missing", exp_only.clone(), TokenError::IssuerMismatch)
        .policy(issuer);
    tb.bad("iss a number", iss("1"), member(P, "iss"))
        .policy(issuer);
    tb.bad(
        "sub a number",
        tp(&format!(r#"{{"exp":{EXP},"sub":1}}"#)),
        member(P, "sub"),
    );
    tb.bad(
        "jti an object",
        tp(&format!(r#"{{"exp":{EXP},"jti":{{}}}}"#)),
        member(P, "jti"),
    );
    tb.bad(
        "scope an array",
        tp(&format!(r#"{{"exp":{EXP},"scope":["a"]}}"#)),
        member(P, "scope"),
    );

    // --- lifetime ----------------------------------------------------------------------------
    let ttl300 = |p: &mut VerifyPolicy| p.max_ttl = Some(300);
    let life = |iat: Option<i64>, exp: i64| match iat {
        Some(iat) => tp(&format!(r#"{{"iat":{iat},"exp":{exp}}}"#)),
        None => tp(&format!(r#"{{"exp":{exp}}}"#)),
    };
    tb.ok("lifetime = max, with iat", life(Some(NOW), NOW + 300))
        .policy(ttl300);
    tb.bad(
        "lifetime over max, with iat",
        life(Some(NOW), NOW + 301),
        TokenError::LifetimeTooLong {
            lifetime: 301,
            max: 300,
        },
    )
    .policy(ttl300);
    tb.bad(
        "lifetime over max, iat long ago",
        life(Some(NOW - 1000), NOW + 10),
        TokenError::LifetimeTooLong {
            lifetime: 1010,
            max: 300,
        },
    )
    .policy(ttl300);
    tb.ok(
        "lifetime = max, without iat (exp - now)",
        life(None, NOW + 300),
    )
    .policy(ttl300);
    tb.bad(
        "lifetime over max, without iat (exp - now)",
        life(None, NOW + 301),
        TokenError::LifetimeTooLong {
            lifetime: 301,
            max: 300,
        },
    )
    .policy(ttl300);

    tb
}

/// Every code [`TokenError::code`] can return; the table must exercise each.
const ALL_CODES: &[&str] = &[
    "token_too_long",
    "malformed",
    "bad_encoding",
    "bad_json",
    "bad_member_type",
    "missing_alg",
    "alg_none",
    "unsupported_alg",
    "alg_not_allowed",
    "alg_key_mismatch",
    "crit_unsupported",
    "b64_unsupported",
    "zip_unsupported",
    "nested_token",
    "unexpected_typ",
    "unknown_kid",
    "missing_kid",
    "bad_tag_length",
    "bad_signature",
    "missing_exp",
    "numeric_claim_is_string",
    "numeric_claim_out_of_range",
    "expired",
    "not_yet_valid",
    "issued_in_future",
    "audience_not_configured",
    "audience_mismatch",
    "issuer_mismatch",
    "lifetime_too_long",
];

#[test]
fn attack_table_each_row_gets_its_exact_error() {
    let table = table().0;
    let mut failures = Vec::new();
    for case in &table {
        let got = verify(&case.token, &ring_of(&case.ring), &case.policy, case.now).map(|_| ());
        if got != case.want {
            failures.push(format!(
                "{}: want {:?}, got {:?}",
                case.name, case.want, got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        table.len(),
        failures.join("\n")
    );
    assert!(
        table.len() >= 200,
        "the table shrank to {} rows",
        table.len()
    );
    eprintln!("attack table: {} rows", table.len());
}

/// A key remembers the first header it verified a token with, so a later token with the same
/// header segment is not parsed again (keyring.rs): every row must get its exact error from a
/// ring that has remembered headers too. Each row twice on its own ring (the second time its
/// own header is remembered if its tag checked), then the whole table twice over rings shared
/// by every row that names the same keys (remembered headers met under other policies).
#[test]
fn attack_table_verdicts_hold_with_remembered_headers() {
    let table = table().0;
    let mut failures = Vec::new();
    let mut check = |case: &Case, ring: &Keyring, pass: &str| {
        let got = verify(&case.token, ring, &case.policy, case.now).map(|_| ());
        if got != case.want {
            failures.push(format!(
                "{} ({pass}): want {:?}, got {:?}",
                case.name, case.want, got
            ));
        }
    };
    let mut remembered = 0;
    for case in &table {
        let ring = ring_of(&case.ring);
        check(case, &ring, "first");
        let header = case.token.split('.').next().unwrap_or("");
        remembered += usize::from(ring.remembered_header(header).is_some());
        check(case, &ring, "again");
    }
    let mut shared: Vec<(Vec<&str>, Keyring)> = Vec::new();
    for pass in ["shared", "shared again"] {
        for case in &table {
            let i = match shared.iter().position(|(kids, _)| *kids == case.ring) {
                Some(i) => i,
                None => {
                    shared.push((case.ring.clone(), ring_of(&case.ring)));
                    shared.len() - 1
                }
            };
            check(case, &shared[i].1, pass);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        remembered >= 50,
        "only {remembered} rows left a remembered header"
    );
}

/// A header is remembered only once a token's tag has checked, and only one per key.
#[test]
fn only_a_verified_header_is_remembered() {
    let ring = main_ring();
    let token = valid_token(&k256());
    let header = token.split('.').next().unwrap().to_owned();
    let forged_token = valid_token(&forged());
    assert_eq!(
        verify(&forged_token, &ring, &policy(), NOW).unwrap_err(),
        TokenError::BadSignature
    );
    assert!(ring.remembered_header(&header).is_none());
    assert!(verify(&token, &ring, &policy(), NOW).is_ok());
    assert_eq!(
        ring.remembered_header(&header).map(|h| h.kid.as_deref()),
        Some(Some("k256"))
    );
    // The forged token shares the header: still refused, now by the remembered path.
    assert_eq!(
        verify(&forged_token, &ring, &policy(), NOW).unwrap_err(),
        TokenError::BadSignature
    );
    // A second spelling of the same header for the same key is parsed, not remembered.
    let other = craft(r#"{"kid":"k256","alg":"HS256"}"#, r#"{"exp":1}"#, &k256());
    let other_header = other.split('.').next().unwrap();
    assert_ne!(other_header, header);
    assert!(verify(&other, &ring, &policy(), 0).is_ok());
    assert!(ring.remembered_header(other_header).is_none());
    // The policy still decides the algorithm for a remembered header.
    let hs384_only = VerifyPolicy {
        algorithms: vec![Alg::HS384],
        ..policy()
    };
    assert_eq!(
        verify(&token, &ring, &hs384_only, NOW).unwrap_err(),
        TokenError::AlgorithmNotAllowed(Alg::HS256)
    );
}

/// The table as data (`tests/vectors/attacks.json`): the keys, then one row per case with
/// its token, ring (kids), the policy fields that differ from the default, `now`, and the
/// expected outcome (`null`, or the error's code and its `Debug` text).
fn table_as_json() -> serde_json::Value {
    let default = policy();
    let rows: Vec<serde_json::Value> = table()
        .0
        .iter()
        .map(|c| {
            let mut p = serde_json::Map::new();
            let q = &c.policy;
            if q.algorithms != default.algorithms {
                p.insert(
                    "algorithms".into(),
                    json!(q.algorithms.iter().map(|a| a.name()).collect::<Vec<_>>()),
                );
            }
            if q.audience != default.audience {
                p.insert("audience".into(), json!(q.audience));
            }
            if q.issuer != default.issuer {
                p.insert("issuer".into(), json!(q.issuer));
            }
            if q.leeway != default.leeway {
                p.insert("leeway".into(), json!(q.leeway));
            }
            if q.max_ttl != default.max_ttl {
                p.insert("max_ttl".into(), json!(q.max_ttl));
            }
            if q.max_token_len != default.max_token_len {
                p.insert("max_token_len".into(), json!(q.max_token_len));
            }
            json!({
                "name": c.name,
                "token": c.token,
                "ring": c.ring,
                "policy": p,
                "now": c.now,
                "want": outcome(&c.want),
            })
        })
        .collect();
    json!({
        "about": "Attacks on the strict JWT profile; generated by crates/portcullis/tests/attacks.rs (see tests/vectors/README.md)",
        "keys": all_keys().iter().map(Key::to_jwk).collect::<Vec<_>>(),
        "cases": rows,
    })
}

/// A verification outcome as the vector file states it.
fn outcome(result: &Result<(), TokenError>) -> serde_json::Value {
    match result {
        Ok(()) => serde_json::Value::Null,
        Err(e) => json!({ "code": e.code(), "error": format!("{e:?}") }),
    }
}

/// A row's policy: the default with the row's fields applied.
fn policy_from_json(fields: &serde_json::Value) -> VerifyPolicy {
    let mut p = policy();
    let fields = fields.as_object().expect("policy is an object");
    for (name, v) in fields {
        match name.as_str() {
            "algorithms" => {
                p.algorithms = v
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| *Alg::ALL.iter().find(|a| a.name() == n).expect("an HS alg"))
                    .collect();
            }
            "audience" => p.audience = v.as_str().map(str::to_owned),
            "issuer" => p.issuer = v.as_str().map(str::to_owned),
            "leeway" => p.leeway = v.as_u64().unwrap(),
            "max_ttl" => p.max_ttl = v.as_u64(),
            "max_token_len" => p.max_token_len = v.as_u64().unwrap() as usize,
            other => panic!("unknown policy field {other:?}"),
        }
    }
    p
}

#[test]
fn attack_vector_file_matches_the_table() {
    check_vector_file("attacks.json", &table_as_json());
}

#[test]
fn attack_vector_file_each_row_gets_its_exact_error() {
    let file = vector_file("attacks.json", table_as_json);
    let jwks = json!({ "keys": file["keys"] });
    let all = Keyring::from_jwks(&jwks.to_string()).expect("the file's keys load");
    assert_eq!(all.keys().len(), all_keys().len());
    let cases = file["cases"].as_array().expect("cases");
    let mut failures = Vec::new();
    for case in cases {
        let kids: Vec<&str> = case["ring"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        let keys: Vec<&serde_json::Value> = file["keys"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| kids.contains(&k["kid"].as_str().unwrap()))
            .collect();
        assert_eq!(keys.len(), kids.len(), "{}: unknown kid", case["name"]);
        let ring = Keyring::from_jwks(&json!({ "keys": keys }).to_string()).unwrap();
        let got = verify(
            case["token"].as_str().unwrap(),
            &ring,
            &policy_from_json(&case["policy"]),
            case["now"].as_i64().unwrap(),
        )
        .map(|_| ());
        if outcome(&got) != case["want"] {
            failures.push(format!(
                "{}: want {}, got {}",
                case["name"],
                case["want"],
                outcome(&got)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(
        cases.len() >= 200,
        "the file shrank to {} rows",
        cases.len()
    );
}

#[test]
fn attack_table_exercises_every_rejection_reason() {
    let table = table().0;
    let seen: Vec<&str> = table
        .iter()
        .filter_map(|c| c.want.as_ref().err())
        .map(TokenError::code)
        .collect();
    let missing: Vec<&&str> = ALL_CODES.iter().filter(|c| !seen.contains(c)).collect();
    assert!(missing.is_empty(), "no row expects {missing:?}");
    let mut names: Vec<&str> = table.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "row names are unique");
}

#[test]
fn rejects_weak_key_at_load() {
    for (alg, len) in [
        (Alg::HS256, 31),
        (Alg::HS384, 47),
        (Alg::HS512, 63),
        (Alg::HS256, 0),
    ] {
        let weak = json!({ "kty": "oct", "kid": "w", "alg": alg.name(), "k": b64::encode(vec![7u8; len]) });
        let set = json!({ "keys": [k256().to_jwk(), weak] }).to_string();
        assert_eq!(
            Keyring::from_jwks(&set).unwrap_err(),
            KeyringError::WeakKey {
                index: 1,
                kid: Some("w".into()),
                alg,
                len
            }
        );
        assert_eq!(
            Key::new(None, alg, &vec![7u8; len]).unwrap_err(),
            KeyringError::WeakKey {
                index: 0,
                kid: None,
                alg,
                len
            }
        );
    }
}

#[test]
fn rejects_oversize_token_before_decoding_anything() {
    // Bytes that would be an encoding error, a segment-count error or JSON garbage if they
    // were ever looked at: the length alone decides.
    for filler in ["!", "=", " ", "a.b", "\u{ff}"] {
        let token = filler.repeat(9 * 1024 / filler.len() + 1);
        let got = verify(&token, &main_ring(), &policy(), NOW).unwrap_err();
        assert_eq!(
            got,
            TokenError::TooLong {
                len: token.len(),
                max: 8192
            },
            "filler {filler:?}"
        );
    }
}

#[test]
fn accepts_a_token_of_exactly_the_maximum_length() {
    let key = k256();
    let sized = |n: usize| token_with(&key, &json!({ "exp": EXP, "pad": "x".repeat(n) }));
    // The limit is inclusive: len == max passes, len == max + 1 does not.
    let tok = sized(100);
    let mut p = policy();
    p.max_token_len = tok.len();
    assert!(verify(&tok, &main_ring(), &p, NOW).is_ok());
    p.max_token_len = tok.len() - 1;
    assert_eq!(
        verify(&tok, &main_ring(), &p, NOW).unwrap_err(),
        TokenError::TooLong {
            len: tok.len(),
            max: tok.len() - 1
        }
    );
    // Around the default 8 KiB: the longest token under it verifies, the next one does not.
    let (mut under, mut over) = (None, None);
    for n in 6000..6200 {
        let tok = sized(n);
        if tok.len() <= 8192 {
            under = Some(tok);
        } else if over.is_none() {
            over = Some(tok);
        }
    }
    let (under, over) = (under.unwrap(), over.unwrap());
    assert!(under.len() > 8185, "{}", under.len());
    assert!(verify(&under, &main_ring(), &policy(), NOW).is_ok());
    assert_eq!(
        verify(&over, &main_ring(), &policy(), NOW).unwrap_err(),
        TokenError::TooLong {
            len: over.len(),
            max: 8192
        }
    );
}

#[test]
fn verified_claims_are_the_signed_ones() {
    let token = token_with(
        &k256(),
        &json!({ "sub": "alice", "exp": EXP, "scope": "read write", "tenant": "t1" }),
    );
    let ok = verify(&token, &main_ring(), &policy(), NOW).unwrap();
    assert_eq!(ok.header.kid.as_deref(), Some("k256"));
    assert_eq!(ok.claims.sub.as_deref(), Some("alice"));
    assert!(ok.claims.has_scope("write") && !ok.claims.has_scope("admin"));
    assert_eq!(ok.claims.extra["tenant"], "t1");
}

#[test]
fn rejects_token_expired_beyond_leeway_even_with_huge_leeway_values() {
    // A leeway beyond i64 must not wrap into a negative skew (or panic).
    let token = token_with(&k256(), &json!({ "exp": EXP }));
    let mut p = policy();
    p.leeway = u64::MAX;
    assert!(
        verify(&token, &main_ring(), &p, i64::MAX - 1).is_ok(),
        "a u64::MAX leeway saturates, never wraps"
    );
    p.leeway = 0;
    assert_eq!(
        verify(&token, &main_ring(), &p, i64::MAX).unwrap_err(),
        TokenError::Expired {
            exp: EXP,
            now: i64::MAX,
            leeway: 0
        }
    );
    assert!(verify(&token, &main_ring(), &p, i64::MIN).is_ok());
}
