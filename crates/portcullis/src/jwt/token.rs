//! The JWS compact form: splitting, strict decoding and the protected header.

use std::collections::BTreeSet;

use serde::de::MapAccess;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::jwt::alg::Alg;
use crate::jwt::error::{Segment, TokenError};
use crate::{codec::b64, codec::json};

/// The longest `kid` a key may have. A token's `kid` is only looked up up to this length: a
/// longer one cannot name a key in any ring.
pub const MAX_KID_LEN: usize = 256;

/// The default maximum token length, checked before anything is decoded.
pub const DEFAULT_MAX_TOKEN_LEN: usize = 8 * 1024;

/// The protected header, as far as this profile reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Header {
    /// `alg`, one of the HMAC algorithms.
    pub alg: Alg,
    /// `kid`, if present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
}

/// A token split into its segments, each still encoded.
#[derive(Debug, Clone, Copy)]
pub struct Parts<'a> {
    /// `header.payload`: the bytes the tag covers.
    pub signing_input: &'a str,
    /// The encoded header.
    pub header: &'a str,
    /// The encoded payload.
    pub payload: &'a str,
    /// The encoded tag.
    pub signature: &'a str,
}

/// Splits a compact token into exactly three segments after checking its length.
pub fn split(token: &str, max_len: usize) -> Result<Parts<'_>, TokenError> {
    if token.len() > max_len {
        return Err(TokenError::TooLong {
            len: token.len(),
            max: max_len,
        });
    }
    let mut dots = token.match_indices('.').map(|(i, _)| i);
    let (Some(first), Some(second), None) = (dots.next(), dots.next(), dots.next()) else {
        return Err(TokenError::SegmentCount {
            found: token.split('.').count(),
        });
    };
    Ok(Parts {
        signing_input: &token[..second],
        header: &token[..first],
        payload: &token[first + 1..second],
        signature: &token[second + 1..],
    })
}

/// Decodes one segment strictly.
pub fn decode_segment(text: &str, segment: Segment) -> Result<Vec<u8>, TokenError> {
    b64::decode(text).map_err(|problem| TokenError::Encoding { segment, problem })
}

/// Decodes a segment that must hold a duplicate-free JSON object.
pub fn decode_object(text: &str, segment: Segment) -> Result<Map<String, Value>, TokenError> {
    let bytes = decode_segment(text, segment)?;
    json::parse_object(&bytes).map_err(|problem| TokenError::Json { segment, problem })
}

fn header_type(member: &'static str) -> TokenError {
    TokenError::MemberType {
        segment: Segment::Header,
        member,
    }
}

/// What a header said about each member this profile reads, before any rule is applied:
/// the one place those rules live, whether the header came as a [`Map`] or straight from
/// the token ([`Header::parse`]).
#[derive(Default)]
struct RawHeader {
    /// `alg`: absent, not a string (`Some(None)`), or what its name means.
    alg: Option<Option<Result<Alg, TokenError>>>,
    crit: bool,
    b64: bool,
    zip: bool,
    /// `cty`: absent, not a string, or whether it says JWT.
    cty: Option<Option<bool>>,
    /// `typ`: absent, not a string, or whether it is acceptable.
    typ: Option<Option<bool>>,
    /// `kid`: absent, not a string, or the name (`None` if too long to name any key).
    kid: Option<Option<Option<String>>>,
}

fn read_alg(name: &str) -> Result<Alg, TokenError> {
    match Alg::from_name(name) {
        Some(alg) => Ok(alg),
        None if name.eq_ignore_ascii_case("none") => Err(TokenError::UnsecuredAlgorithm),
        None => Err(TokenError::UnsupportedAlgorithm),
    }
}

fn read_cty(cty: &str) -> bool {
    is_jwt_media_type(cty)
}

fn read_typ(typ: &str) -> bool {
    is_jwt_media_type(typ) || is_at_jwt(typ)
}

fn read_kid(kid: &str) -> Option<String> {
    (kid.len() <= MAX_KID_LEN).then(|| kid.to_owned())
}

/// The header members [`RawHeader`] records, in its [`Members`](json::Members) order.
const HEADER_NAMES: &[&str] = &["alg", "crit", "b64", "zip", "cty", "typ", "kid"];

impl<'de> json::Members<'de> for RawHeader {
    fn read<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut raw = RawHeader::default();
        let mut seen = 0u8;
        let mut others = BTreeSet::new();
        while let Some(name) = map.next_key_seed(json::NameSeed(HEADER_NAMES))? {
            let i = match name {
                json::Name::Other(name) => {
                    map.next_value_seed(json::StrictValue)?;
                    if !others.insert(name) {
                        return Err(json::duplicate());
                    }
                    continue;
                }
                json::Name::Known(i) => i,
            };
            match i {
                0 => raw.alg = Some(map.next_value_seed(json::StrSeed(read_alg))?),
                1..=3 => {
                    map.next_value_seed(json::StrictValue)?;
                    *[&mut raw.crit, &mut raw.b64, &mut raw.zip][i - 1] = true;
                }
                4 => raw.cty = Some(map.next_value_seed(json::StrSeed(read_cty))?),
                5 => raw.typ = Some(map.next_value_seed(json::StrSeed(read_typ))?),
                _ => raw.kid = Some(map.next_value_seed(json::StrSeed(read_kid))?),
            }
            if seen & (1 << i) != 0 {
                return Err(json::duplicate());
            }
            seen |= 1 << i;
        }
        Ok(raw)
    }
}

impl RawHeader {
    fn from_map(map: &Map<String, Value>) -> RawHeader {
        fn string<T>(
            map: &Map<String, Value>,
            name: &str,
            read: impl FnOnce(&str) -> T,
        ) -> Option<Option<T>> {
            map.get(name).map(|v| match v {
                Value::String(s) => Some(read(s)),
                _ => None,
            })
        }
        RawHeader {
            alg: string(map, "alg", read_alg),
            crit: map.contains_key("crit"),
            b64: map.contains_key("b64"),
            zip: map.contains_key("zip"),
            cty: string(map, "cty", read_cty),
            typ: string(map, "typ", read_typ),
            kid: string(map, "kid", read_kid),
        }
    }

    /// The profile's rules, in their order of precedence.
    fn check(self) -> Result<Header, TokenError> {
        let alg = match self.alg {
            None => return Err(TokenError::MissingAlgorithm),
            Some(None) => return Err(header_type("alg")),
            Some(Some(alg)) => alg?,
        };
        if self.crit {
            return Err(TokenError::CriticalHeader);
        }
        if self.b64 {
            return Err(TokenError::UnencodedPayload);
        }
        if self.zip {
            return Err(TokenError::Compressed);
        }
        match self.cty {
            None | Some(Some(false)) => {}
            Some(Some(true)) => return Err(TokenError::NestedToken),
            Some(None) => return Err(header_type("cty")),
        }
        match self.typ {
            None | Some(Some(true)) => {}
            Some(Some(false)) => return Err(TokenError::UnexpectedType),
            Some(None) => return Err(header_type("typ")),
        }
        let kid = match self.kid {
            None => None,
            Some(Some(Some(kid))) => Some(kid),
            // An absurd kid cannot name a key; answer as for any unknown one.
            Some(Some(None)) => return Err(TokenError::UnknownKeyId),
            Some(None) => return Err(header_type("kid")),
        };
        Ok(Header { alg, kid })
    }
}

impl Header {
    /// Reads a protected header, refusing every feature this profile does not support.
    pub fn from_object(map: &Map<String, Value>) -> Result<Header, TokenError> {
        RawHeader::from_map(map).check()
    }

    /// Decodes and reads the encoded protected header of a token: the same verdicts as
    /// [`decode_object`] then [`Header::from_object`], without building a map.
    pub fn decode(text: &str) -> Result<Header, TokenError> {
        with_decoded(text, Segment::Header, |bytes| {
            json::parse_members::<RawHeader>(bytes)
                .map_err(|problem| TokenError::Json {
                    segment: Segment::Header,
                    problem,
                })?
                .check()
        })
    }
}

/// Decodes a segment strictly and hands its bytes to `f`: on the stack when they are few,
/// as they are in nearly every token, so a verify allocates nothing for them.
pub fn with_decoded<R>(
    text: &str,
    segment: Segment,
    f: impl FnOnce(&[u8]) -> Result<R, TokenError>,
) -> Result<R, TokenError> {
    let mut stack = [0u8; 512];
    let len = b64::decoded_len(text.len());
    let mut heap = Vec::new();
    let buf = if len <= stack.len() {
        &mut stack[..len]
    } else {
        heap.resize(len, 0);
        &mut heap[..]
    };
    let n = b64::decode_to_slice(text, buf)
        .map_err(|problem| TokenError::Encoding { segment, problem })?;
    f(&buf[..n])
}

/// `JWT` or `application/jwt`, case-insensitively (RFC 7515 4.1.9/4.1.10).
fn is_jwt_media_type(t: &str) -> bool {
    t.eq_ignore_ascii_case("JWT") || t.eq_ignore_ascii_case("application/jwt")
}

/// RFC 9068 access tokens.
fn is_at_jwt(t: &str) -> bool {
    t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt")
}

/// A token decoded WITHOUT checking its signature or any claim: for display only.
#[derive(Debug, Clone, Serialize)]
pub struct Unverified {
    /// The header, every member.
    pub header: Map<String, Value>,
    /// The payload, every member.
    pub claims: Map<String, Value>,
}

/// Decodes a token for display, checking only its shape. Nothing it returns is trustworthy.
pub fn decode_unverified(token: &str) -> Result<Unverified, TokenError> {
    let parts = split(token.trim(), DEFAULT_MAX_TOKEN_LEN)?;
    Ok(Unverified {
        header: decode_object(parts.header, Segment::Header)?,
        claims: decode_object(parts.payload, Segment::Payload)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn header(v: Value) -> Result<Header, TokenError> {
        Header::from_object(v.as_object().unwrap())
    }

    #[test]
    fn split_needs_exactly_three_segments() {
        assert_eq!(
            split("a.b", 100).unwrap_err(),
            TokenError::SegmentCount { found: 2 }
        );
        assert_eq!(
            split("a.b.c.d.e", 100).unwrap_err(),
            TokenError::SegmentCount { found: 5 }
        );
        let p = split("a.b.c", 100).unwrap();
        assert_eq!((p.signing_input, p.signature), ("a.b", "c"));
        assert_eq!(
            split("a.b.c", 4).unwrap_err(),
            TokenError::TooLong { len: 5, max: 4 }
        );
    }

    /// Header::decode and the Map path give the same verdict on every header built from up
    /// to three of these members (so every order of two conflicting problems).
    #[test]
    fn decode_agrees_with_from_object_member_by_member() {
        let members = [
            r#""alg":"HS256""#,
            r#""alg":"none""#,
            r#""alg":"RS256""#,
            r#""alg":1"#,
            r#""\u0061lg":"HS384""#,
            r#""crit":["exp"]"#,
            r#""b64":false"#,
            r#""zip":{"a":1,"a":1}"#,
            r#""cty":"JWT""#,
            r#""cty":7"#,
            r#""cty":"text/plain""#,
            r#""typ":"at+jwt""#,
            r#""typ":"JOSE""#,
            r#""typ":null"#,
            r#""kid":"k""#,
            r#""kid":[]"#,
            r#""x":1"#,
            r#""x":[{"y":1,"y":2}]"#,
            r#""bad":tru"#,
        ];
        let long_kid = format!(r#""kid":"{}""#, "k".repeat(300));
        let mut objects = vec![
            String::from("{}"),
            "[]".into(),
            "1".into(),
            "{} x".into(),
            format!("{{{long_kid}}}"),
        ];
        for a in members {
            objects.push(format!("{{{a}}}"));
            for b in members {
                objects.push(format!("{{{a},{b}}}"));
                for c in members.iter().step_by(2) {
                    objects.push(format!("{{{a},{b},{c}}}"));
                }
            }
        }
        for text in objects {
            let encoded = b64::encode(&text);
            let via_map =
                decode_object(&encoded, Segment::Header).and_then(|m| Header::from_object(&m));
            assert_eq!(Header::decode(&encoded), via_map, "{text}");
        }
        for text in ["e30=", "e3!", "e", "e30x"] {
            let via_map =
                decode_object(text, Segment::Header).and_then(|m| Header::from_object(&m));
            assert_eq!(Header::decode(text), via_map, "{text}");
        }
    }

    #[test]
    fn alg_is_case_sensitive_and_none_is_named() {
        assert_eq!(header(json!({"alg":"HS256"})).unwrap().alg, Alg::HS256);
        for none in ["none", "None", "NONE", "nOnE"] {
            assert_eq!(
                header(json!({"alg":none})).unwrap_err(),
                TokenError::UnsecuredAlgorithm
            );
        }
        for other in ["hs256", "Hs256", "RS256", "ES256", "HS256 ", ""] {
            assert_eq!(
                header(json!({"alg":other})).unwrap_err(),
                TokenError::UnsupportedAlgorithm
            );
        }
        assert_eq!(header(json!({})).unwrap_err(), TokenError::MissingAlgorithm);
        assert_eq!(header(json!({"alg":256})).unwrap_err(), header_type("alg"));
    }

    #[test]
    fn unsupported_features_are_refused() {
        assert_eq!(
            header(json!({"alg":"HS256","crit":["exp"],"exp":1})).unwrap_err(),
            TokenError::CriticalHeader
        );
        assert_eq!(
            header(json!({"alg":"HS256","b64":false,"crit":[]})).unwrap_err(),
            TokenError::CriticalHeader
        );
        assert_eq!(
            header(json!({"alg":"HS256","b64":true})).unwrap_err(),
            TokenError::UnencodedPayload
        );
        assert_eq!(
            header(json!({"alg":"HS256","zip":"DEF"})).unwrap_err(),
            TokenError::Compressed
        );
        assert_eq!(
            header(json!({"alg":"HS256","cty":"jwt"})).unwrap_err(),
            TokenError::NestedToken
        );
        assert_eq!(
            header(json!({"alg":"HS256","typ":"JOSE"})).unwrap_err(),
            TokenError::UnexpectedType
        );
        assert_eq!(
            header(json!({"alg":"HS256","kid":7})).unwrap_err(),
            header_type("kid")
        );
        assert_eq!(
            header(json!({"alg":"HS256","kid":"k".repeat(300)})).unwrap_err(),
            TokenError::UnknownKeyId
        );
        assert!(header(json!({"alg":"HS256","typ":"at+jwt","kid":"a"})).is_ok());
    }
}
