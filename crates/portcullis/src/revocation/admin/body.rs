//! The JSON object reader every admin body shares: members in order, each taken once.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::{AdminRequestError, MAX_ADMIN_BODY_LEN};
use crate::revocation::{identifier_problem, IdentifierProblem, MAX_IDENTIFIER_LEN};

/// A JSON object's members in order, duplicates kept (serde_json's `Map` keeps only the
/// last, which would let `{"jti":"a","jti":"b"}` pass silently).
struct Members(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Members, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, serde_json::Value>()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

/// Parses a JSON object body into its members.
pub(super) fn parse_object(
    body: &[u8],
) -> Result<Vec<(String, serde_json::Value)>, AdminRequestError> {
    match serde_json::from_slice::<Members>(body) {
        Ok(Members(members)) => Ok(members),
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            Err(AdminRequestError::NotAnObject)
        }
        Err(_) => Err(AdminRequestError::InvalidJson),
    }
}

pub(super) fn check_body_len(body: &[u8]) -> Result<(), AdminRequestError> {
    if body.len() > MAX_ADMIN_BODY_LEN {
        return Err(AdminRequestError::BodyTooLarge {
            len: body.len(),
            max: MAX_ADMIN_BODY_LEN,
        });
    }
    Ok(())
}

/// Takes a string member, rejecting other types and the empty string.
pub(super) fn string_member(
    field: &'static str,
    value: serde_json::Value,
) -> Result<String, AdminRequestError> {
    match value {
        serde_json::Value::String(s) if s.is_empty() => {
            Err(AdminRequestError::EmptyField { field })
        }
        serde_json::Value::String(s) => Ok(s),
        _ => Err(AdminRequestError::WrongType {
            field,
            expected: "a string",
        }),
    }
}

/// Takes an identifier member: a string that [`identifier_problem`] accepts.
pub(super) fn identifier_member(
    field: &'static str,
    value: serde_json::Value,
) -> Result<String, AdminRequestError> {
    let s = string_member(field, value)?;
    match identifier_problem(&s) {
        None => Ok(s),
        Some(IdentifierProblem::Empty) => Err(AdminRequestError::EmptyField { field }),
        Some(IdentifierProblem::TooLong { len }) => Err(AdminRequestError::FieldTooLong {
            field,
            len,
            max: MAX_IDENTIFIER_LEN,
        }),
        Some(IdentifierProblem::ControlCharacter) => {
            Err(AdminRequestError::ControlCharacter { field })
        }
    }
}

/// Sets a field once, rejecting a second occurrence.
pub(super) fn set_once<T>(
    slot: &mut Option<T>,
    field: &'static str,
    value: T,
) -> Result<(), AdminRequestError> {
    if slot.is_some() {
        return Err(AdminRequestError::DuplicateField { field });
    }
    *slot = Some(value);
    Ok(())
}
