//! The gate's decision for a request on a signed-link rule: find the link (query, cookie or
//! header, as the format says), verify it, and say what reaches the origin (the query without
//! the signature, the token cookie or header removed) and what the identity assertion names.

use crate::config::GateConfig;
use crate::http::{cookie_values, Denial, Revocations};
use crate::routes::{NormalizedPath, SignedFormat, TokenLocation};
use crate::signed::akamai::{self, AkamaiKeys};
use crate::signed::portcullis::{self as link, LinkRequest};
use crate::signed::{cloudflare, query, SignedUrlError};

/// What the gate read of a request on a signed rule.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// The method.
    pub method: &'a str,
    /// The path as sent (Cloudflare's MAC covers it).
    pub raw_path: &'a str,
    /// The query as sent, without `?`.
    pub query: Option<&'a str>,
    /// The normalized path (what rules, links and ACLs are checked against).
    pub path: &'a NormalizedPath,
    /// The `Cookie` header.
    pub cookie: Option<&'a str>,
    /// The value of the header [`token_header`] names, when it names one.
    pub header: Option<&'a str>,
    /// The client's address (`CF-Connecting-IP`).
    pub client_ip: Option<&'a str>,
}

/// The request header a rule's token travels in, for the Worker to read: `None` unless the
/// rule is an Akamai rule with `location = "header"`.
pub fn token_header(format: &SignedFormat) -> Option<&str> {
    match format {
        SignedFormat::AkamaiEdgeAuth2(a) if a.location == TokenLocation::Header => {
            Some(&a.token_name)
        }
        _ => None,
    }
}

/// A signed request the gate lets through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedGrant {
    /// The format's name (`signed_url`, `cloudflare_hmac_v0`, `akamai_edgeauth2`).
    pub format: &'static str,
    /// The verifying key's `kid` (ring keys only).
    pub key_id: Option<String>,
    /// When the link stops working, seconds since the epoch.
    pub expires: i64,
    /// The query the origin receives: the signature parameters taken out.
    pub forward_query: Option<String>,
    /// A cookie to remove before forwarding (the one that carried the link).
    pub strip_cookie: Option<String>,
    /// A header to remove before forwarding (the one that carried the token).
    pub strip_header: Option<String>,
    /// For a cookie link: the `Set-Cookie` value; the gate answers 303 to the path (without
    /// the signature) instead of forwarding.
    pub set_cookie: Option<String>,
}

impl SignedGrant {
    /// Whether the key is one of the ring's, so the revocation list decides too.
    pub fn needs_revocation_check(&self) -> bool {
        self.format == "signed_url"
    }

    /// The audit reason of a request let through.
    pub fn reason(&self) -> &'static str {
        "signed_url_valid"
    }
}

/// Verifies the signed link of `request` under `format`, at `now`.
pub fn verify_signed(
    config: &GateConfig,
    format: &SignedFormat,
    request: &SignedRequest<'_>,
    now: i64,
) -> Result<SignedGrant, Denial> {
    let grant = |format, key_id, expires, forward_query| SignedGrant {
        format,
        key_id,
        expires,
        forward_query,
        strip_cookie: None,
        strip_header: None,
        set_cookie: None,
    };
    let max_ttl = config.verify.max_ttl.unwrap_or(u64::MAX);
    let result = match format {
        SignedFormat::Portcullis => {
            let link_request = LinkRequest {
                method: request.method,
                path: request.path,
                query: request.query,
            };
            if link::has_link(request.query) {
                link::verify(&config.keyring, &link_request, max_ttl, now).map(|v| {
                    let mut g = grant(
                        "signed_url",
                        v.key_id.clone(),
                        v.fields.exp,
                        query::without(request.query, &link::PARAMS),
                    );
                    if v.fields.cookie {
                        g.set_cookie = link::cookie_for(&v, request.query, now);
                    }
                    g
                })
            } else {
                signed_cookie(config, request, &link_request, max_ttl, now)
            }
        }
        SignedFormat::CloudflareHmacV0(options) => {
            let key = config
                .edge
                .cloudflare
                .as_deref()
                .ok_or(Denial::Misconfigured {
                    setting: crate::config::names::CLOUDFLARE_HMAC_KEY.to_owned(),
                })?;
            let uri = match request.query {
                Some(q) => format!("{}?{q}", request.raw_path),
                None => request.raw_path.to_owned(),
            };
            cloudflare::verify(key, &uri, options, now).map(|l| {
                let param = options.param.as_str();
                grant(
                    "cloudflare_hmac_v0",
                    None,
                    l.expires,
                    query::without(request.query, &[param]),
                )
            })
        }
        SignedFormat::AkamaiEdgeAuth2(options) => {
            let key = config.edge.akamai.as_deref().ok_or(Denial::Misconfigured {
                setting: crate::config::names::AKAMAI_KEY.to_owned(),
            })?;
            let keys = AkamaiKeys {
                algorithm: config.edge.akamai_algorithm,
                key,
                transition: config.edge.akamai_transition.as_deref().map(|k| &k[..]),
                salt: config.edge.akamai_salt.as_deref().map(String::as_str),
            };
            let name = options.token_name.as_str();
            let token: Option<String> = match options.location {
                TokenLocation::Query => request.query.and_then(|q| {
                    query::pairs(q).find(|p| query::name(p) == name).map(|p| {
                        let v = query::value(p).as_bytes();
                        String::from_utf8_lossy(
                            &percent_encoding::percent_decode(v).collect::<Vec<u8>>(),
                        )
                        .into_owned()
                    })
                }),
                TokenLocation::Cookie => request
                    .cookie
                    .and_then(|c| cookie_values(c, name).next())
                    .map(str::to_owned),
                TokenLocation::Header => request.header.map(str::to_owned),
            };
            match token {
                None => Err(SignedUrlError::Missing),
                Some(token) => akamai::verify(
                    keys,
                    options,
                    &token,
                    request.path.as_str(),
                    request.client_ip,
                    now,
                )
                .map(|f| {
                    let mut g = grant(
                        "akamai_edgeauth2",
                        None,
                        f.exp,
                        query::without(request.query, &[name]),
                    );
                    match options.location {
                        TokenLocation::Query => {}
                        TokenLocation::Cookie => g.strip_cookie = Some(name.to_owned()),
                        TokenLocation::Header => g.strip_header = Some(name.to_owned()),
                    }
                    g
                }),
            }
        }
    };
    result.map_err(Denial::SignedUrl)
}

/// A request without a link on a `signed_url` rule: the `pc_signed` cookies it carries (a
/// browser sends one per matching path, most specific first); the first that verifies wins,
/// else the first one's refusal.
fn signed_cookie(
    config: &GateConfig,
    request: &SignedRequest<'_>,
    link_request: &LinkRequest<'_>,
    max_ttl: u64,
    now: i64,
) -> Result<SignedGrant, SignedUrlError> {
    let mut first_error = None;
    for value in request
        .cookie
        .into_iter()
        .flat_map(|c| cookie_values(c, link::COOKIE_NAME))
    {
        match link::verify_cookie(&config.keyring, value, link_request, max_ttl, now) {
            Ok(v) => {
                return Ok(SignedGrant {
                    format: "signed_url",
                    key_id: v.key_id,
                    expires: v.fields.exp,
                    forward_query: request.query.map(str::to_owned),
                    strip_cookie: Some(link::COOKIE_NAME.to_owned()),
                    strip_header: None,
                    set_cookie: None,
                })
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(SignedUrlError::Missing))
}

/// The key revocation check of a ring-keyed link; returns whether it could be made.
pub fn check_signed_revocation(
    grant: &SignedGrant,
    fail_open: bool,
    revocations: Revocations<'_>,
) -> Result<bool, Denial> {
    match revocations {
        Revocations::Current(snapshot) => {
            match snapshot.check(None, None, None, grant.key_id.as_deref(), None) {
                Some(_) => Err(Denial::SignedUrl(SignedUrlError::KeyRevoked)),
                None => Ok(true),
            }
        }
        Revocations::Unavailable { .. } if fail_open => Ok(false),
        Revocations::Unavailable { retry_after_s } => {
            Err(Denial::RevocationUnavailable { retry_after_s })
        }
    }
}

/// The answer to a cookie link: 303 to the path the link opened (its prefix's request path,
/// without the signature), setting the signed cookie.
pub fn cookie_redirect(
    grant: &SignedGrant,
    path: &NormalizedPath,
) -> Option<crate::http::HttpResponse> {
    let cookie = grant.set_cookie.clone()?;
    let location = match &grant.forward_query {
        Some(q) => format!("{}?{q}", path.as_str()),
        None => path.as_str().to_owned(),
    };
    Some(crate::http::HttpResponse {
        status: 303,
        headers: vec![
            ("location", location),
            ("set-cookie", cookie),
            ("cache-control", "no-store".to_owned()),
        ],
        body: String::new(),
    })
}
