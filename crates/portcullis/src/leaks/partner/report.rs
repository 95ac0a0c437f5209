//! The report body: a JSON array of `{"token", "type", "url", "source"}`, within limits.

use serde_json::Value;

use super::error::LeakReportError;

/// Largest report body accepted, bytes.
pub const MAX_REPORT_BODY_LEN: usize = 128 * 1024;

/// Most tokens in one report: each live one costs a KV write within the request.
pub const MAX_REPORTED_TOKENS: usize = 50;

/// Longest `token` considered (longer is not ours: the gate refuses it anyway).
const MAX_TOKEN_LEN: usize = 16 * 1024;
/// Longest `url`.
const MAX_URL_LEN: usize = 2048;
/// Longest `type` and `source`.
const MAX_LABEL_LEN: usize = 128;

/// One reported match.
#[derive(Clone, PartialEq, Eq)]
pub struct ReportedToken {
    /// The matched text: a live credential, maybe.
    pub token: String,
    /// The pattern's type name, as registered with GitHub.
    pub kind: String,
    /// Where it was found (a public URL).
    pub url: String,
    /// What kind of place (`content`, `commit`, `pull_request_description`, ...).
    pub source: String,
}

impl std::fmt::Debug for ReportedToken {
    /// Never prints the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportedToken")
            .field(
                "token",
                &format_args!("<{} bytes redacted>", self.token.len()),
            )
            .field("kind", &self.kind)
            .field("url", &self.url)
            .field("source", &self.source)
            .finish()
    }
}

/// Parses a report body. Unknown members are ignored (the format may grow).
///
/// # Errors
/// One [`LeakReportError`] variant per reason; none echoes a value.
pub fn parse_report(body: &[u8]) -> Result<Vec<ReportedToken>, LeakReportError> {
    if body.len() > MAX_REPORT_BODY_LEN {
        return Err(LeakReportError::BodyTooLarge {
            len: body.len(),
            max: MAX_REPORT_BODY_LEN,
        });
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| LeakReportError::InvalidJson)?;
    let Value::Array(items) = value else {
        return Err(LeakReportError::NotAnArray);
    };
    if items.is_empty() {
        return Err(LeakReportError::EmptyReport);
    }
    if items.len() > MAX_REPORTED_TOKENS {
        return Err(LeakReportError::TooManyTokens {
            count: items.len(),
            max: MAX_REPORTED_TOKENS,
        });
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            if !item.is_object() {
                return Err(LeakReportError::NotAnArray);
            }
            let field = |field: &'static str, max: usize| {
                let text = item
                    .get(field)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .ok_or(LeakReportError::BadField { index, field })?;
                if text.len() > max {
                    return Err(LeakReportError::FieldTooLong { index, field, max });
                }
                Ok(text.to_owned())
            };
            Ok(ReportedToken {
                token: field("token", MAX_TOKEN_LEN)?,
                kind: field("type", MAX_LABEL_LEN)?,
                url: field("url", MAX_URL_LEN)?,
                source: field("source", MAX_LABEL_LEN)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Vec<ReportedToken>, LeakReportError> {
        parse_report(v.to_string().as_bytes())
    }

    #[test]
    fn parses_githubs_report_shape() {
        let got = parse(json!([{"token":"eyJ.a.b","type":"portcullis_jwt",
            "url":"https://github.com/o/r/blob/x/f.env","source":"content","extra":1}]))
        .unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].kind.as_str(), got[0].source.as_str()),
            ("portcullis_jwt", "content")
        );
        assert!(!format!("{got:?}").contains("eyJ.a.b"));
    }

    #[test]
    fn refuses_malformed_and_oversized_reports() {
        let item = json!({"token":"t","type":"x","url":"u","source":"s"});
        assert_eq!(parse_report(b"{"), Err(LeakReportError::InvalidJson));
        assert_eq!(parse(json!({})), Err(LeakReportError::NotAnArray));
        assert_eq!(parse(json!([1])), Err(LeakReportError::NotAnArray));
        assert_eq!(parse(json!([])), Err(LeakReportError::EmptyReport));
        let many = Value::Array(vec![item.clone(); MAX_REPORTED_TOKENS + 1]);
        assert!(matches!(
            parse(many),
            Err(LeakReportError::TooManyTokens { .. })
        ));
        assert_eq!(
            parse(json!([{"token":"t","type":"x","url":"u"}])),
            Err(LeakReportError::BadField {
                index: 0,
                field: "source"
            })
        );
        assert_eq!(
            parse(json!([item, {"token":7,"type":"x","url":"u","source":"s"}])),
            Err(LeakReportError::BadField {
                index: 1,
                field: "token"
            })
        );
        let long_url = "u".repeat(MAX_URL_LEN + 1);
        assert!(matches!(
            parse(json!([{"token":"t","type":"x","url":long_url,"source":"s"}])),
            Err(LeakReportError::FieldTooLong { field: "url", .. })
        ));
        let huge = vec![b' '; MAX_REPORT_BODY_LEN + 1];
        assert!(matches!(
            parse_report(&huge),
            Err(LeakReportError::BodyTooLarge { .. })
        ));
    }
}
