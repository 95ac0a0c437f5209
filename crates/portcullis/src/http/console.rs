//! The operator console's decisions: which admin paths are the console's, which asset a
//! console path stands for, and the headers every console answer carries. The Worker serves
//! the files from its assets binding; the pages hold no secrets, so they need no admin
//! token (the API calls they make carry one).

use crate::http::Denial;

/// Scripts, styles and data only from this origin; no inline script, no framing, no forms
/// sent anywhere (the page submits nothing itself: its scripts call the admin API).
pub const CSP: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

/// The headers of every console answer, pages and refusals alike: the policy above, no
/// sniffing, no referrer, no framing, never cached.
pub const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cache-control", "no-store"),
];

/// Whether `endpoint` (the path after the admin prefix) is the console's.
pub fn owns(endpoint: &str) -> bool {
    endpoint
        .strip_prefix("/console")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// What the console answers for an endpoint it [`owns`], before any file is fetched.
#[derive(Debug, Clone, PartialEq)]
pub enum ConsoleRequest {
    /// `<prefix>/console` without the slash: a 308 to this location, since relative URLs in
    /// the page resolve against the directory.
    Redirect(String),
    /// Fetch this asset path (`/index.html` or one flat file name) from the assets binding.
    Asset(String),
    /// Refuse.
    Refused(Denial),
}

/// The console's answer for `method` on `endpoint` (which it [`owns`]): only `GET` and
/// `HEAD`; `/` is the page, otherwise one flat file name (no dot file, no folder).
pub fn console_request(method: &str, endpoint: &str, admin_prefix: &str) -> ConsoleRequest {
    if !matches!(method, "GET" | "HEAD") {
        return ConsoleRequest::Refused(Denial::AdminMethodNotAllowed { allow: "GET, HEAD" });
    }
    let rest = endpoint.strip_prefix("/console").unwrap_or(endpoint);
    if rest.is_empty() {
        return ConsoleRequest::Redirect(format!("{admin_prefix}/console/"));
    }
    match asset_path(rest) {
        Some(asset) => ConsoleRequest::Asset(asset),
        None => ConsoleRequest::Refused(Denial::AdminNotFound),
    }
}

/// The asset a console path stands for: `/` is the page, otherwise one flat file name.
fn asset_path(rest: &str) -> Option<String> {
    match rest {
        "/" => Some("/index.html".to_owned()),
        _ => {
            let name = rest.strip_prefix('/')?;
            let plain = !name.is_empty()
                && !name.starts_with('.')
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
            plain.then(|| format!("/{name}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owns_the_console_folder_only() {
        for (endpoint, owned) in [
            ("/console", true),
            ("/console/", true),
            ("/console/app.js", true),
            ("/consoles", false),
            ("/console.js", false),
            ("/revocations", false),
            ("", false),
        ] {
            assert_eq!(owns(endpoint), owned, "{endpoint}");
        }
    }

    #[test]
    fn serves_the_page_and_flat_files_only() {
        let get = |e| console_request("GET", e, "/_gate");
        assert_eq!(
            get("/console/"),
            ConsoleRequest::Asset("/index.html".into())
        );
        assert_eq!(
            get("/console/app.js"),
            ConsoleRequest::Asset("/app.js".into())
        );
        assert_eq!(
            console_request("HEAD", "/console/style-1_a.css", "/_gate"),
            ConsoleRequest::Asset("/style-1_a.css".into())
        );
        assert_eq!(
            get("/console"),
            ConsoleRequest::Redirect("/_gate/console/".into())
        );
        for refused in [
            "/console/.env",
            "/console/a/b.js",
            "/console//",
            "/console/a%2Fb",
        ] {
            assert_eq!(
                get(refused),
                ConsoleRequest::Refused(Denial::AdminNotFound),
                "{refused}"
            );
        }
    }

    #[test]
    fn takes_only_get_and_head() {
        for method in ["POST", "PUT", "DELETE", "OPTIONS"] {
            assert_eq!(
                console_request(method, "/console/", "/_gate"),
                ConsoleRequest::Refused(Denial::AdminMethodNotAllowed { allow: "GET, HEAD" }),
                "{method}"
            );
        }
    }
}
