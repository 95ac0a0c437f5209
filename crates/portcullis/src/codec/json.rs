//! JSON without ambiguity: UTF-8, and no member name twice in any object.
//!
//! `serde_json` keeps the last of two duplicate members silently; two parsers that disagree
//! on which one wins are a classic signature bypass (RFC 8725 section 2.x, RFC 7515 5.2), so
//! every object at every depth is checked here.

use core::fmt;

use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Why a text is not an acceptable JSON document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonProblem {
    /// The bytes are not UTF-8.
    NotUtf8,
    /// The text is not JSON.
    Syntax,
    /// Valid JSON, but not an object.
    NotAnObject,
    /// A member name appears twice in one object (RFC 7515 section 5.2, RFC 8725 3.x).
    DuplicateMember,
    /// Nested deeper than the parser allows.
    TooDeep,
}

impl JsonProblem {
    /// The problem as a predicate, so that a caller can name what was refused:
    /// "header" + " has a duplicate member name".
    pub(crate) fn predicate(self) -> &'static str {
        match self {
            JsonProblem::NotUtf8 => "is not UTF-8",
            JsonProblem::Syntax => "is not valid JSON",
            JsonProblem::NotAnObject => "is not a JSON object",
            JsonProblem::DuplicateMember => "has a duplicate member name",
            JsonProblem::TooDeep => "is nested too deeply",
        }
    }
}

impl fmt::Display for JsonProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JSON text {}", self.predicate())
    }
}

impl std::error::Error for JsonProblem {}

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
pub(crate) struct StrictValue;

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

/// An object read member by member straight into a typed form, with no [`Value`] tree in
/// between: see [`parse_members`].
pub(crate) trait Members<'de>: Sized {
    /// Reads every member of the object from `map`. Must fail with [`duplicate`] on a name
    /// seen twice, and read every value through a strict seed ([`StrictValue`],
    /// [`StrSeed`] ...) so that nested objects are checked too.
    fn read<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

/// The error a [`Members`] implementation returns for a repeated member name.
pub(crate) fn duplicate<E: serde::de::Error>() -> E {
    E::custom(DUPLICATE)
}

/// Parses UTF-8 JSON that must be an object with no duplicate member names at any depth,
/// reading it with `T`. Same verdicts, in the same order, as [`parse_object`]: UTF-8 first,
/// then the first syntax or duplicate problem in the text, then the trailing text, then
/// whether it was an object at all.
pub(crate) fn parse_members<T: for<'de> Members<'de>>(bytes: &[u8]) -> Result<T, JsonProblem> {
    let text = core::str::from_utf8(bytes).map_err(|_| JsonProblem::NotUtf8)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let read =
        serde::Deserializer::deserialize_any(&mut de, ObjectOf(core::marker::PhantomData::<T>))
            .map_err(classify)?;
    de.end().map_err(classify)?;
    read.ok_or(JsonProblem::NotAnObject)
}

/// Reads an object with `T`; any other value is checked strictly and answers `None`.
struct ObjectOf<T>(core::marker::PhantomData<T>);

/// The visits shared by the `Option`-valued visitors below for a value of another type: it
/// answers `None`, but an array is still read strictly (duplicates and depth inside it are
/// errors).
macro_rules! none_for_other_values {
    ($de:lifetime) => {
        fn visit_seq<A: SeqAccess<$de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            StrictValue.visit_seq(seq).map(|_| None)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    };
}

impl<'de, T: Members<'de>> Visitor<'de> for ObjectOf<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
        T::read(map).map(Some)
    }
    fn visit_str<E>(self, _: &str) -> Result<Option<T>, E> {
        Ok(None)
    }
    none_for_other_values!('de);
}

/// A member name: its index in a list of known names, or the name itself.
pub(crate) enum Name {
    /// `names[i]`.
    Known(usize),
    /// Any other name.
    Other(String),
}

/// Reads a member name, matching it against `names` without allocating for them (escaped
/// spellings included: the comparison is on the unescaped name).
pub(crate) struct NameSeed(pub &'static [&'static str]);

impl<'de> DeserializeSeed<'de> for NameSeed {
    type Value = Name;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Name, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for NameSeed {
    type Value = Name;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E>(self, v: &str) -> Result<Name, E> {
        Ok(match self.0.iter().position(|n| *n == v) {
            Some(i) => Name::Known(i),
            None => Name::Other(v.to_owned()),
        })
    }
}

/// Reads a value that should be a string, mapping it with `F`; any other value is checked
/// strictly (duplicates, depth) and answers `None`.
pub(crate) struct StrSeed<F>(pub F);

impl<'de, T, F: FnOnce(&str) -> T> DeserializeSeed<'de> for StrSeed<F> {
    type Value = Option<T>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T, F: FnOnce(&str) -> T> Visitor<'de> for StrSeed<F> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_str<E>(self, v: &str) -> Result<Option<T>, E> {
        Ok(Some((self.0)(v)))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
        StrictValue.visit_map(map).map(|_| None)
    }
    none_for_other_values!('de);
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
        assert_eq!(
            parse_object(br#"{"a":1,"a":2}"#),
            Err(JsonProblem::DuplicateMember)
        );
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
