//! The registered claims this profile interprets (RFC 7519 section 4.1, RFC 9068 `scope`),
//! and every other claim carried along uninterpreted.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Segment, TokenError};

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
/// rounded towards the stricter side (`exp` down, `nbf` and `iat` up).
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
    /// `iat`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
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

impl Claims {
    /// Reads claims from a parsed payload object, checking each registered claim's type.
    pub fn from_object(mut map: Map<String, Value>) -> Result<Claims, TokenError> {
        let iss = take_string(&mut map, "iss")?;
        let sub = take_string(&mut map, "sub")?;
        let jti = take_string(&mut map, "jti")?;
        let scope = take_string(&mut map, "scope")?;
        let aud = match map.remove("aud") {
            None => None,
            Some(Value::String(a)) => Some(Audience::One(a)),
            Some(Value::Array(items)) => {
                let mut all = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Value::String(a) => all.push(a),
                        _ => return Err(member_type("aud")),
                    }
                }
                Some(Audience::Many(all))
            }
            Some(_) => return Err(member_type("aud")),
        };
        let exp = take_date(&mut map, "exp", f64::floor)?.ok_or(TokenError::MissingExpiry)?;
        let nbf = take_date(&mut map, "nbf", f64::ceil)?;
        let iat = take_date(&mut map, "iat", f64::ceil)?;
        Ok(Claims { iss, sub, aud, exp, nbf, iat, jti, scope, extra: map })
    }

    /// The scope tokens, in order.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.as_deref().unwrap_or("").split(' ').filter(|s| !s.is_empty())
    }

    /// Whether `scope` is among the granted scope tokens.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().any(|s| s == scope)
    }
}

fn member_type(member: &'static str) -> TokenError {
    TokenError::MemberType { segment: Segment::Payload, member }
}

fn take_string(map: &mut Map<String, Value>, name: &'static str) -> Result<Option<String>, TokenError> {
    match map.remove(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(member_type(name)),
    }
}

fn take_date(
    map: &mut Map<String, Value>,
    name: &'static str,
    round: fn(f64) -> f64,
) -> Result<Option<i64>, TokenError> {
    match map.remove(name) {
        None => Ok(None),
        Some(Value::Number(n)) => {
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
        Some(Value::String(_)) => Err(TokenError::NumericClaimIsString(name)),
        Some(_) => Err(member_type(name)),
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
        let c = claims(json!({"sub":"u","aud":["a","b"],"exp":10,"scope":"x  y","tenant":"t"})).unwrap();
        assert_eq!(c.sub.as_deref(), Some("u"));
        assert!(c.aud.as_ref().unwrap().contains("b"));
        assert_eq!(c.scopes().collect::<Vec<_>>(), ["x", "y"]);
        assert_eq!(c.extra["tenant"], "t");
        assert_eq!(serde_json::to_value(&c).unwrap()["tenant"], "t");
    }

    #[test]
    fn numeric_claims_must_be_numbers_in_range() {
        assert_eq!(claims(json!({})).unwrap_err(), TokenError::MissingExpiry);
        assert_eq!(claims(json!({"exp":"10"})).unwrap_err(), TokenError::NumericClaimIsString("exp"));
        assert_eq!(claims(json!({"exp":10,"iat":"1"})).unwrap_err(), TokenError::NumericClaimIsString("iat"));
        assert_eq!(claims(json!({"exp":true})).unwrap_err(), member_type("exp"));
        assert_eq!(claims(json!({"exp":1e300})).unwrap_err(), TokenError::NumericClaimOutOfRange("exp"));
        assert_eq!(claims(json!({"exp":u64::MAX})).unwrap_err(), TokenError::NumericClaimOutOfRange("exp"));
        let c = claims(json!({"exp":10.9,"nbf":5.1,"iat":5.1})).unwrap();
        assert_eq!((c.exp, c.nbf, c.iat), (10, Some(6), Some(6)));
    }

    #[test]
    fn string_claims_must_be_strings() {
        assert_eq!(claims(json!({"exp":1,"sub":1})).unwrap_err(), member_type("sub"));
        assert_eq!(claims(json!({"exp":1,"aud":[1]})).unwrap_err(), member_type("aud"));
        assert_eq!(claims(json!({"exp":1,"scope":["a"]})).unwrap_err(), member_type("scope"));
    }
}
