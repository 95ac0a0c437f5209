//! JSON without ambiguity: UTF-8, and no member name twice in any object.
//!
//! `serde_json` keeps the last of two duplicate members silently; two parsers that disagree
//! on which one wins are a classic signature bypass (RFC 8725 section 2.x, RFC 7515 5.2), so
//! every object at every depth is checked here.

use core::fmt;

use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::JsonProblem;

const DUPLICATE: &str = "portcullis: duplicate member name";

/// Parses UTF-8 JSON that must be an object with no duplicate member names at any depth.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, JsonProblem> {
    match parse_value(bytes)? {
        Value::Object(map) => Ok(map),
        _ => Err(JsonProblem::NotAnObject),
    }
}

/// Parses UTF-8 JSON with no duplicate member names at any depth.
pub fn parse_value(bytes: &[u8]) -> Result<Value, JsonProblem> {
    let text = core::str::from_utf8(bytes).map_err(|_| JsonProblem::NotUtf8)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let value = StrictValue.deserialize(&mut de).map_err(classify)?;
    de.end().map_err(classify)?;
    Ok(value)
}

fn classify(err: serde_json::Error) -> JsonProblem {
    let msg = err.to_string();
    if msg.starts_with(DUPLICATE) {
        JsonProblem::DuplicateMember
    } else if msg.starts_with("recursion limit exceeded") {
        JsonProblem::TooDeep
    } else {
        JsonProblem::Syntax
    }
}

/// A seed that builds a [`Value`] and fails on the first duplicate member name.
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(StrictValue)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            let value = map.next_value_seed(StrictValue)?;
            if object.insert(name, value).is_some() {
                return Err(A::Error::custom(DUPLICATE));
            }
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_plain_object() {
        let m = parse_object(br#"{"a":1,"b":{"c":[true,null,"x"]}}"#).unwrap();
        assert_eq!(m["b"]["c"][2], "x");
    }

    #[test]
    fn rejects_duplicates_at_top_level_and_nested() {
        assert_eq!(parse_object(br#"{"a":1,"a":2}"#), Err(JsonProblem::DuplicateMember));
        assert_eq!(
            parse_object(br#"{"a":{"b":1,"b":1}}"#),
            Err(JsonProblem::DuplicateMember)
        );
        assert_eq!(
            parse_object(br#"{"a":[{"b":1,"b":1}]}"#),
            Err(JsonProblem::DuplicateMember)
        );
        // An escaped spelling of the same name is the same name.
        assert_eq!(
            parse_object(br#"{"alg":1,"\u0061lg":2}"#),
            Err(JsonProblem::DuplicateMember)
        );
    }

    #[test]
    fn classifies_other_problems() {
        assert_eq!(parse_object(b"\xff\xfe"), Err(JsonProblem::NotUtf8));
        assert_eq!(parse_object(b"{\"a\":"), Err(JsonProblem::Syntax));
        assert_eq!(parse_object(b"{} x"), Err(JsonProblem::Syntax));
        assert_eq!(parse_object(b"[1]"), Err(JsonProblem::NotAnObject));
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(parse_value(deep.as_bytes()), Err(JsonProblem::TooDeep));
    }
}
