//! Token introspection request bodies (RFC 7662).

use super::body::{check_body_len, parse_object, set_once, string_member};
use super::AdminRequestError;
use crate::codec::percent;

/// Parses a token introspection body (RFC 7662) and returns the token.
///
/// `content_type` selects the format (parameters such as `charset` are ignored):
/// - `application/x-www-form-urlencoded`: `token=…`, percent-decoded with `+` as space;
///   other parameters (`token_type_hint`, …) are ignored, but must be well encoded;
/// - `application/json`: `{"token": "…"}`, optionally with a string `token_type_hint`.
///
/// # Errors
/// One [`AdminRequestError`] variant per reason; none echoes the token.
pub fn parse_introspect_request(
    body: &[u8],
    content_type: Option<&str>,
) -> Result<String, AdminRequestError> {
    check_body_len(body)?;
    let content_type = content_type.ok_or(AdminRequestError::MissingContentType)?;
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        parse_introspect_form(body)
    } else if media_type.eq_ignore_ascii_case("application/json") {
        parse_introspect_json(body)
    } else {
        Err(AdminRequestError::UnsupportedContentType)
    }
}

fn parse_introspect_form(body: &[u8]) -> Result<String, AdminRequestError> {
    let mut token = None;
    for pair in body.split(|&b| b == b'&').filter(|pair| !pair.is_empty()) {
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &pair[..0]),
        };
        let name = form_decode(name)?;
        let value = form_decode(value)?;
        if name == b"token" {
            let value = String::from_utf8(value).map_err(|_| AdminRequestError::InvalidUtf8)?;
            if value.is_empty() {
                return Err(AdminRequestError::EmptyField { field: "token" });
            }
            set_once(&mut token, "token", value)?;
        }
    }
    token.ok_or(AdminRequestError::MissingToken)
}

/// Decodes one `application/x-www-form-urlencoded` component: `+` is a space, `%XX` a byte.
fn form_decode(input: &[u8]) -> Result<Vec<u8>, AdminRequestError> {
    percent::decode_form_component(input).map_err(|_| AdminRequestError::InvalidPercentEncoding)
}

fn parse_introspect_json(body: &[u8]) -> Result<String, AdminRequestError> {
    let (mut token, mut hint) = (None, None);
    for (name, value) in parse_object(body)? {
        match name.as_str() {
            "token" => set_once(&mut token, "token", string_member("token", value)?)?,
            "token_type_hint" => {
                let value = string_member("token_type_hint", value)?;
                set_once(&mut hint, "token_type_hint", value)?;
            }
            _ => return Err(AdminRequestError::UnknownField { field: name }),
        }
    }
    token.ok_or(AdminRequestError::MissingToken)
}
