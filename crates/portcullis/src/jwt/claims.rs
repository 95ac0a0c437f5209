//! The registered claims this profile interprets (RFC 7519 section 4.1, RFC 9068 `scope`),
//! and every other claim carried along uninterpreted.

use core::fmt;

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::Serialize;
use serde_json::{Map, Number, Value};

use crate::codec::json;
use crate::jwt::error::{Segment, TokenError};

/// The `aud` claim: one audience or several (RFC 7519 4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Audience {
    /// A single string.
    One(String),
    /// An array of strings.
    Many(Vec<String>),
}

impl Audience {
    /// Whether `audience` is among this claim's values.
    pub fn contains(&self, audience: &str) -> bool {
        match self {
            Audience::One(a) => a == audience,
            Audience::Many(all) => all.iter().any(|a| a == audience),
        }
    }
}

/// The claims of a token. Time claims are whole seconds (NumericDate); a fractional value is
/// rounded towards the stricter side (`exp` down, `nbf` and `iat` up), and `iat` is kept
/// rounded down as well, for revocation cut-offs ([`Claims::iat_floor`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Claims {
    /// `iss`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// `sub`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// `aud`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
    /// `exp`: required by this profile.
    pub exp: i64,
    /// `nbf`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// `iat`, rounded up: the strict value for "issued in the future".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// `iat`, rounded down: the strict value for a subject revocation's cut-off. For a whole
    /// `before`, `iat < before` exactly when `floor(iat) < before`, so a token issued at
    /// `before - 0.5` is covered. Equal to `iat` when `iat` is whole. Not serialized.
    #[serde(skip)]
    pub iat_floor: Option<i64>,
    /// `jti`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// `scope`: space-separated scope tokens (RFC 9068 section 2.2.3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Every other claim, carried but not interpreted.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The claim names [`Claims`] interprets itself.
pub const REGISTERED: [&str; 8] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope"];

/// NumericDates beyond JavaScript's safe integers are refused rather than rounded.
const MAX_NUMERIC_DATE: f64 = 9_007_199_254_740_991.0;

/// What a payload said about each registered claim, before any rule is applied: the one
/// place those rules live, whether the claims came as a [`Map`] or straight from the token
/// ([`Claims::parse`]). A string claim is absent, not a string (`Some(None)`) or the string.
#[derive(Default)]
struct RawClaims {
    iss: Option<Option<String>>,
    sub: Option<Option<String>>,
    aud: Option<Option<Audience>>,
    exp: Option<RawDate>,
    nbf: Option<RawDate>,
    iat: Option<RawDate>,
    jti: Option<Option<String>>,
    scope: Option<Option<String>>,
    extra: Map<String, Value>,
}

/// A NumericDate claim as found.
enum RawDate {
    Number(Number),
    String,
    Other,
}

impl RawDate {
    fn of(value: Value) -> RawDate {
        match value {
            Value::Number(n) => RawDate::Number(n),
            Value::String(_) => RawDate::String,
            _ => RawDate::Other,
        }
    }
}

/// Reads a NumericDate value: numbers as numbers, any other value checked strictly.
struct DateSeed;

impl<'de> DeserializeSeed<'de> for DateSeed {
    type Value = RawDate;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<RawDate, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DateSeed {
    type Value = RawDate;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_i64<E>(self, v: i64) -> Result<RawDate, E> {
        Ok(RawDate::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<RawDate, E> {
        Ok(RawDate::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<RawDate, E> {
        // As a Value: a float JSON cannot hold would be null, so of the wrong type.
        Ok(Number::from_f64(v).map_or(RawDate::Other, RawDate::Number))
    }
    fn visit_str<E>(self, _: &str) -> Result<RawDate, E> {
        Ok(RawDate::String)
    }
    fn visit_bool<E>(self, _: bool) -> Result<RawDate, E> {
        Ok(RawDate::Other)
    }
    fn visit_unit<E>(self) -> Result<RawDate, E> {
        Ok(RawDate::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<RawDate, A::Error> {
        json::StrictValue.visit_seq(seq).map(|_| RawDate::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawDate, A::Error> {
        json::StrictValue.visit_map(map).map(|_| RawDate::Other)
    }
}

/// Reads `aud`: a string, or an array that is all strings; any other value (or an array
/// with anything else in it) is checked strictly and answers `None`.
struct AudienceSeed;

impl<'de> DeserializeSeed<'de> for AudienceSeed {
    type Value = Option<Audience>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Option<Audience>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AudienceSeed {
    type Value = Option<Audience>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_str<E>(self, v: &str) -> Result<Option<Audience>, E> {
        Ok(Some(Audience::One(v.to_owned())))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Audience>, A::Error> {
        let mut all = Some(Vec::new());
        while let Some(item) = seq.next_element_seed(json::StrSeed(str::to_owned))? {
            match (&mut all, item) {
                (Some(all), Some(a)) => all.push(a),
                _ => all = None,
            }
        }
        Ok(all.map(Audience::Many))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<Audience>, A::Error> {
        json::StrictValue.visit_map(map).map(|_| None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Option<Audience>, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Option<Audience>, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Option<Audience>, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Option<Audience>, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Option<Audience>, E> {
        Ok(None)
    }
}

impl<'de> json::Members<'de> for RawClaims {
    fn read<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut raw = RawClaims::default();
        let mut seen = 0u8;
        while let Some(name) = map.next_key_seed(json::NameSeed(&REGISTERED))? {
            let i = match name {
                json::Name::Other(name) => {
                    let value = map.next_value_seed(json::StrictValue)?;
                    if raw.extra.insert(name, value).is_some() {
                        return Err(json::duplicate());
                    }
                    continue;
                }
                json::Name::Known(i) => i,
            };
            let string = json::StrSeed(str::to_owned);
            // Indices into REGISTERED.
            match i {
                0 => raw.iss = Some(map.next_value_seed(string)?),
                1 => raw.sub = Some(map.next_value_seed(string)?),
                2 => raw.aud = Some(map.next_value_seed(AudienceSeed)?),
                3 => raw.exp = Some(map.next_value_seed(DateSeed)?),
                4 => raw.nbf = Some(map.next_value_seed(DateSeed)?),
                5 => raw.iat = Some(map.next_value_seed(DateSeed)?),
                6 => raw.jti = Some(map.next_value_seed(string)?),
                _ => raw.scope = Some(map.next_value_seed(string)?),
            }
            if seen & (1 << i) != 0 {
                return Err(json::duplicate());
            }
            seen |= 1 << i;
        }
        Ok(raw)
    }
}

impl RawClaims {
    fn from_map(mut map: Map<String, Value>) -> RawClaims {
        fn string(map: &mut Map<String, Value>, name: &str) -> Option<Option<String>> {
            map.remove(name).map(|v| match v {
                Value::String(s) => Some(s),
                _ => None,
            })
        }
        let aud = map.remove("aud").map(|v| match v {
            Value::String(a) => Some(Audience::One(a)),
            Value::Array(items) => items
                .into_iter()
                .map(|item| match item {
                    Value::String(a) => Some(a),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
                .map(Audience::Many),
            _ => None,
        });
        RawClaims {
            iss: string(&mut map, "iss"),
            sub: string(&mut map, "sub"),
            jti: string(&mut map, "jti"),
            scope: string(&mut map, "scope"),
            aud,
            exp: map.remove("exp").map(RawDate::of),
            nbf: map.remove("nbf").map(RawDate::of),
            iat: map.remove("iat").map(RawDate::of),
            extra: map,
        }
    }

    /// Each registered claim's type and range, in a fixed order of precedence.
    fn check(self) -> Result<Claims, TokenError> {
        let iss = string_claim(self.iss, "iss")?;
        let sub = string_claim(self.sub, "sub")?;
        let jti = string_claim(self.jti, "jti")?;
        let scope = string_claim(self.scope, "scope")?;
        let aud = match self.aud {
            None => None,
            Some(Some(aud)) => Some(aud),
            Some(None) => return Err(member_type("aud")),
        };
        let exp =
            date_claim(self.exp.as_ref(), "exp", f64::floor)?.ok_or(TokenError::MissingExpiry)?;
        let nbf = date_claim(self.nbf.as_ref(), "nbf", f64::ceil)?;
        let iat = date_claim(self.iat.as_ref(), "iat", f64::ceil)?;
        let iat_floor = date_claim(self.iat.as_ref(), "iat", f64::floor)?;
        Ok(Claims {
            iss,
            sub,
            aud,
            exp,
            nbf,
            iat,
            iat_floor,
            jti,
            scope,
            extra: self.extra,
        })
    }
}

impl Claims {
    /// Reads claims from a parsed payload object, checking each registered claim's type.
    pub fn from_object(map: Map<String, Value>) -> Result<Claims, TokenError> {
        RawClaims::from_map(map).check()
    }

    /// Reads claims from the decoded payload bytes: the same verdicts as
    /// [`crate::codec::json::parse_object`] (as [`TokenError::Json`] for the payload) then
    /// [`Claims::from_object`], without building a map of the registered claims.
    pub fn parse(payload: &[u8]) -> Result<Claims, TokenError> {
        json::parse_members::<RawClaims>(payload)
            .map_err(|problem| TokenError::Json {
                segment: Segment::Payload,
                problem,
            })?
            .check()
    }

    /// The scope tokens, in order.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope
            .as_deref()
            .unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty())
    }

    /// Whether `scope` is among the granted scope tokens.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().any(|s| s == scope)
    }
}

fn member_type(member: &'static str) -> TokenError {
    TokenError::MemberType {
        segment: Segment::Payload,
        member,
    }
}

fn string_claim(
    raw: Option<Option<String>>,
    name: &'static str,
) -> Result<Option<String>, TokenError> {
    match raw {
        None => Ok(None),
        Some(Some(s)) => Ok(Some(s)),
        Some(None) => Err(member_type(name)),
    }
}

fn date_claim(
    raw: Option<&RawDate>,
    name: &'static str,
    round: fn(f64) -> f64,
) -> Result<Option<i64>, TokenError> {
    match raw {
        None => Ok(None),
        Some(RawDate::Number(n)) => {
            if let Some(i) = n.as_i64() {
                if (i as f64).abs() <= MAX_NUMERIC_DATE {
                    return Ok(Some(i));
                }
            } else if let Some(f) = n.as_f64() {
                if f.is_finite() && f.abs() <= MAX_NUMERIC_DATE {
                    return Ok(Some(round(f) as i64));
                }
            }
            Err(TokenError::NumericClaimOutOfRange(name))
        }
        Some(RawDate::String) => Err(TokenError::NumericClaimIsString(name)),
        Some(RawDate::Other) => Err(member_type(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Result<Claims, TokenError> {
        Claims::from_object(v.as_object().unwrap().clone())
    }

    #[test]
    fn reads_registered_claims_and_carries_the_rest() {
        let c = claims(json!({"sub":"u","aud":["a","b"],"exp":10,"scope":"x  y","tenant":"t"}))
            .unwrap();
        assert_eq!(c.sub.as_deref(), Some("u"));
        assert!(c.aud.as_ref().unwrap().contains("b"));
        assert_eq!(c.scopes().collect::<Vec<_>>(), ["x", "y"]);
        assert_eq!(c.extra["tenant"], "t");
        assert_eq!(serde_json::to_value(&c).unwrap()["tenant"], "t");
    }

    /// The streaming reader and the Map path give the same verdict on every object built
    /// from up to three of these members (so every order of two conflicting problems).
    #[test]
    fn parse_agrees_with_from_object_member_by_member() {
        let members = [
            r#""exp":10"#,
            r#""exp":"10""#,
            r#""exp":10.5"#,
            r#""exp":1e300"#,
            r#""exp":18446744073709551615"#,
            r#""exp":-0"#,
            r#""exp":null"#,
            r#""exp":{"a":1,"a":2}"#,
            r#""nbf":5.1"#,
            r#""iat":[1]"#,
            r#""iss":"i""#,
            r#""iss":1"#,
            r#""sub":{"x":[{"y":1,"y":2}]}"#,
            r#""\u0069ss":"j""#,
            r#""aud":"a""#,
            r#""aud":["a","b"]"#,
            r#""aud":["a",1,{"z":1,"z":1}]"#,
            r#""aud":[]"#,
            r#""scope":"x y""#,
            r#""jti":true"#,
            r#""t":1"#,
            r#""t":{"u":1}"#,
            r#""t\u0000":"\ud83d\ude00""#,
            r#""e":{"d":1,"d":1}"#,
            r#""bad":tru"#,
        ];
        let mut objects = vec![String::from("{}")];
        for a in members {
            objects.push(format!("{{{a}}}"));
            for b in members {
                objects.push(format!("{{{a},{b}}}"));
                for c in members.iter().step_by(3) {
                    objects.push(format!("{{{a},{b},{c}}}"));
                }
            }
        }
        let deep = format!(r#"{{"exp":1,"d":{}{}}}"#, "[".repeat(200), "]".repeat(200));
        objects.extend([
            deep,
            "[1,{\"a\":1,\"a\":1}]".into(),
            "\"exp\"".into(),
            "{} x".into(),
            "{\"exp\":1}}".into(),
        ]);
        let mut texts: Vec<Vec<u8>> = objects.into_iter().map(String::into_bytes).collect();
        texts.push(b"{\"exp\":1,\"s\":\"\xff\"}".to_vec());
        for text in texts {
            let via_map = crate::codec::json::parse_object(&text)
                .map_err(|problem| TokenError::Json {
                    segment: Segment::Payload,
                    problem,
                })
                .and_then(Claims::from_object);
            assert_eq!(
                Claims::parse(&text),
                via_map,
                "{}",
                String::from_utf8_lossy(&text)
            );
        }
    }

    #[test]
    fn numeric_claims_must_be_numbers_in_range() {
        assert_eq!(claims(json!({})).unwrap_err(), TokenError::MissingExpiry);
        assert_eq!(
            claims(json!({"exp":"10"})).unwrap_err(),
            TokenError::NumericClaimIsString("exp")
        );
        assert_eq!(
            claims(json!({"exp":10,"iat":"1"})).unwrap_err(),
            TokenError::NumericClaimIsString("iat")
        );
        assert_eq!(claims(json!({"exp":true})).unwrap_err(), member_type("exp"));
        assert_eq!(
            claims(json!({"exp":1e300})).unwrap_err(),
            TokenError::NumericClaimOutOfRange("exp")
        );
        assert_eq!(
            claims(json!({"exp":u64::MAX})).unwrap_err(),
            TokenError::NumericClaimOutOfRange("exp")
        );
        let c = claims(json!({"exp":10.9,"nbf":5.1,"iat":5.1})).unwrap();
        assert_eq!((c.exp, c.nbf, c.iat), (10, Some(6), Some(6)));
        assert_eq!(c.iat_floor, Some(5));
        let whole = claims(json!({"exp":10,"iat":5})).unwrap();
        assert_eq!((whole.iat, whole.iat_floor), (Some(5), Some(5)));
        let negative = claims(json!({"exp":10,"iat":-0.5})).unwrap();
        assert_eq!((negative.iat, negative.iat_floor), (Some(0), Some(-1)));
        assert!(!serde_json::to_string(&c).unwrap().contains("iat_floor"));
    }

    #[test]
    fn string_claims_must_be_strings() {
        assert_eq!(
            claims(json!({"exp":1,"sub":1})).unwrap_err(),
            member_type("sub")
        );
        assert_eq!(
            claims(json!({"exp":1,"aud":[1]})).unwrap_err(),
            member_type("aud")
        );
        assert_eq!(
            claims(json!({"exp":1,"scope":["a"]})).unwrap_err(),
            member_type("scope")
        );
    }
}
