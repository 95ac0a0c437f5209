//! `portcullis sign-url` and `portcullis verify-url`: mint and check signed links from
//! scripts, in the Portcullis format (keys from a JWK Set file) or a compatibility format
//! (keys from the environment variable of the same setting name the gate reads, or a
//! `.dev.vars` file).

use std::path::{Path, PathBuf};

use portcullis::config::names;
use portcullis::http::url::split_url;
use portcullis::jwt::keyring::Keyring;
use portcullis::jwt::mint as core_mint;
use portcullis::routes::{
    normalize_path, AkamaiMode, AkamaiOptions, CloudflareOptions, TokenLocation,
};
use portcullis::signed::akamai::{self, AkamaiAlgorithm, AkamaiFields, AkamaiKeys};
use portcullis::signed::portcullis::{self as link, LinkFields, LinkRequest, PathScope};
use portcullis::signed::{cloudflare, query};
use serde_json::json;

use crate::{dotenv, duration, input, keyfile, time, Failure};

/// Which link format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Portcullis signed URLs (`auth = "signed_url"`).
    #[value(name = "signed_url")]
    SignedUrl,
    /// Cloudflare `is_timed_hmac_valid_v0`.
    #[value(name = "cloudflare_hmac_v0")]
    Cloudflare,
    /// Akamai EdgeAuth 2.0.
    #[value(name = "akamai_edgeauth2")]
    Akamai,
}

/// Options of the compatibility formats, shared by both commands.
#[derive(Debug, clap::Args)]
pub struct CompatArgs {
    /// Read compatibility keys (PORTCULLIS_CLOUDFLARE_HMAC_KEY, PORTCULLIS_AKAMAI_KEY,
    /// PORTCULLIS_AKAMAI_SALT, and PORTCULLIS_AKAMAI_ALGORITHM) from this dotenv file instead
    /// of the environment.
    #[arg(long = "dev-vars", value_name = "FILE")]
    dev_vars: Option<PathBuf>,
    /// cloudflare_hmac_v0: the `s` flag (URL-safe base64 MAC).
    #[arg(long)]
    urlsafe: bool,
    /// cloudflare_hmac_v0: the token's query parameter.
    #[arg(long, value_name = "NAME", default_value = "verify")]
    param: String,
    /// akamai_edgeauth2: an ACL pattern (`*`, `?` wildcards); repeat for several. Without
    /// one, the token is bound to the URL's path (URL mode).
    #[arg(long, value_name = "PATTERN")]
    acl: Vec<String>,
    /// akamai_edgeauth2: the client address the token is for (`ip`).
    #[arg(long, value_name = "ADDRESS")]
    ip: Option<String>,
    /// akamai_edgeauth2: the token's query parameter.
    #[arg(long, value_name = "NAME", default_value = "__token__")]
    token_name: String,
}

/// Arguments of `portcullis sign-url`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Prints the signed URL. The Portcullis format signs the method (GET also allows HEAD), the path
(or with --prefix every path under a prefix), the query in canonical order, the expiry and the
key id. cloudflare_hmac_v0 signs the URL at the current time (the rule's ttl_s decides how long
it works); akamai_edgeauth2 adds a `__token__` parameter living --ttl.

EXAMPLES:
  portcullis sign-url --keys keys.json --ttl 10m https://cdn.example/media/a.mp4
  portcullis sign-url --keys keys.json --prefix https://cdn.example/media/show/index.m3u8
  portcullis sign-url --keys keys.json --prefix-path /media/ --cookie https://cdn.example/media/show/index.m3u8
  PORTCULLIS_CLOUDFLARE_HMAC_KEY=... portcullis sign-url --format cloudflare_hmac_v0 /tokenauth/kayak.mp4
  PORTCULLIS_AKAMAI_KEY=... portcullis sign-url --format akamai_edgeauth2 --acl '/vod/*' https://cdn.example/vod/a.ts")]
pub struct SignArgs {
    /// The link format.
    #[arg(long, value_enum, default_value = "signed_url")]
    format: Format,
    /// signed_url: the JWK Set file holding the key.
    #[arg(long, value_name = "FILE")]
    keys: Option<PathBuf>,
    /// signed_url: sign with this key instead of the set's signing key.
    #[arg(long, value_name = "KID")]
    kid: Option<String>,
    /// How long the link works.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = duration::parse)]
    ttl: u64,
    /// signed_url: open every path under the URL's directory (its path up to the last `/`).
    #[arg(long)]
    prefix: bool,
    /// signed_url: open every path under this prefix (a canonical path ending in `/` that
    /// the URL is under).
    #[arg(long, value_name = "PREFIX", conflicts_with = "prefix")]
    prefix_path: Option<String>,
    /// signed_url: a link that sets a signed cookie for the prefix (needs --prefix).
    #[arg(long)]
    cookie: bool,
    /// signed_url: the method (GET also allows HEAD).
    #[arg(long, value_name = "METHOD", default_value = "GET")]
    method: String,
    #[command(flatten)]
    compat: CompatArgs,
    /// The URL (absolute, or a path with its query).
    #[arg(value_name = "URL")]
    url: String,
}

/// Arguments of `portcullis verify-url`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Prints what the link opens as JSON (exit 0), or `portcullis: rejected: <reason> (<code>)`
(exit 1): the same decision and codes as the gate's 403 problem documents.

EXAMPLES:
  portcullis verify-url --keys keys.json \"$URL\"
  portcullis verify-url --keys keys.json --method HEAD --now 1767225600 \"$URL\"
  PORTCULLIS_CLOUDFLARE_HMAC_KEY=... portcullis verify-url --format cloudflare_hmac_v0 --ttl 60 \"$URL\"")]
pub struct VerifyArgs {
    /// The link format.
    #[arg(long, value_enum, default_value = "signed_url")]
    format: Format,
    /// signed_url: the JWK Set file of trusted keys.
    #[arg(long, value_name = "FILE")]
    keys: Option<PathBuf>,
    /// The request method to check the link for.
    #[arg(long, value_name = "METHOD", default_value = "GET")]
    method: String,
    /// signed_url: the longest remaining lifetime accepted (the gate's PORTCULLIS_MAX_TTL_S);
    /// cloudflare_hmac_v0: the rule's ttl_s.
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = duration::parse)]
    ttl: u64,
    /// Check as of this time (Unix seconds) instead of now.
    #[arg(long, value_name = "UNIX_SECONDS")]
    now: Option<i64>,
    #[command(flatten)]
    compat: CompatArgs,
    /// The URL.
    #[arg(value_name = "URL")]
    url: String,
}

/// A compatibility secret: the environment variable, or the dotenv file, by setting name.
fn secret(compat: &CompatArgs, name: &str) -> Result<Option<String>, Failure> {
    match &compat.dev_vars {
        Some(path) => dotenv::value(path, name),
        None => Ok(std::env::var(name).ok().filter(|v| !v.trim().is_empty())),
    }
}

fn required_secret(compat: &CompatArgs, name: &str) -> Result<String, Failure> {
    secret(compat, name)?.ok_or_else(|| Failure::Usage(format!("{name} is not set")))
}

/// The Cloudflare key (`PORTCULLIS_CLOUDFLARE_HMAC_KEY`) and the options the gate would use
/// with a lifetime of `ttl_s`.
fn cloudflare_setup(
    compat: &CompatArgs,
    ttl_s: u64,
) -> Result<(String, CloudflareOptions), Failure> {
    let key = required_secret(compat, names::CLOUDFLARE_HMAC_KEY)?;
    let options = CloudflareOptions {
        param: compat.param.clone(),
        ttl_s,
        urlsafe: compat.urlsafe,
    };
    Ok((key, options))
}

fn akamai_key(compat: &CompatArgs) -> Result<Vec<u8>, Failure> {
    akamai::decode_key(&required_secret(compat, names::AKAMAI_KEY)?)
        .ok_or_else(|| Failure::Usage(format!("{} is not hex", names::AKAMAI_KEY)))
}

/// `PORTCULLIS_AKAMAI_ALGORITHM`, read like the keys; a legacy one is said on stderr.
fn akamai_algorithm(compat: &CompatArgs) -> Result<AkamaiAlgorithm, Failure> {
    let name = names::AKAMAI_ALGORITHM;
    let algorithm = match secret(compat, name)? {
        None => AkamaiAlgorithm::default(),
        Some(text) => AkamaiAlgorithm::parse(&text)
            .ok_or_else(|| Failure::Usage(format!("{name} must be sha256, sha1 or md5")))?,
    };
    if let Some(weakness) = algorithm.weakness() {
        eprintln!(
            "portcullis: warning: {name} = {}: {weakness}",
            algorithm.name()
        );
    }
    Ok(algorithm)
}

fn akamai_options(compat: &CompatArgs) -> AkamaiOptions {
    AkamaiOptions {
        mode: if compat.acl.is_empty() {
            AkamaiMode::Url
        } else {
            AkamaiMode::Acl
        },
        token_name: compat.token_name.clone(),
        location: TokenLocation::Query,
        field_delimiter: '~',
        acl_delimiter: '!',
    }
}

fn ring(keys: Option<&Path>) -> Result<Keyring, Failure> {
    match keys {
        Some(path) => keyfile::load(path),
        None => Err(Failure::Usage("the signed_url format needs --keys".into())),
    }
}

fn with_query(base: &str, query: Option<&str>) -> String {
    match query {
        Some(q) if !q.is_empty() => format!("{base}?{q}"),
        _ => base.to_owned(),
    }
}

/// Runs `portcullis sign-url`.
pub fn run_sign(args: SignArgs) -> Result<(), Failure> {
    let parts = split_url(&args.url);
    let path = normalize_path(parts.path)
        .map_err(|e| Failure::Usage(format!("the URL's path cannot be signed: {e}")))?;
    let now = time::now();
    let exp = now.saturating_add(i64::try_from(args.ttl).unwrap_or(i64::MAX));
    let base = format!("{}{}", parts.origin, path.as_str());
    let signed = match args.format {
        Format::SignedUrl => {
            let ring = ring(args.keys.as_deref())?;
            let key = core_mint::signing_key(&ring, args.kid.as_deref())?;
            let scope = match (args.prefix, args.prefix_path.as_deref()) {
                (false, None) => PathScope::Exact(path.as_str().to_owned()),
                (true, _) => {
                    let dir = &path.as_str()[..=path.as_str().rfind('/').unwrap_or(0)];
                    PathScope::Prefix(dir.to_owned())
                }
                (false, Some(prefix)) => match PathScope::parse(&format!("{prefix}*")) {
                    Ok(scope) if scope.covers(&path) => scope,
                    _ => return Err(Failure::Usage(
                        "--prefix-path must be a canonical path ending in / that the URL is under"
                            .into(),
                    )),
                },
            };
            if args.cookie && !matches!(scope, PathScope::Prefix(_)) {
                return Err(Failure::Usage(
                    "--cookie needs --prefix or --prefix-path".into(),
                ));
            }
            if args.cookie && parts.query.is_some_and(|q| !q.is_empty()) {
                return Err(Failure::Usage(
                    "a --cookie link carries no other query".into(),
                ));
            }
            if !portcullis::routes::is_valid_method(&args.method) {
                return Err(Failure::Usage(format!(
                    "{:?} is not an HTTP method",
                    args.method
                )));
            }
            let fields = LinkFields {
                method: args.method.clone(),
                scope,
                exp,
                cookie: args.cookie,
            };
            format!("{base}?{}", link::sign(key, &fields, parts.query))
        }
        Format::Cloudflare => {
            let (key, options) = cloudflare_setup(&args.compat, args.ttl)?;
            // The MAC covers the path and query as sent: sign them as given.
            let uri = with_query(parts.path, parts.query);
            format!(
                "{}{}",
                parts.origin,
                cloudflare::sign(key.as_bytes(), &uri, &options, now)
            )
        }
        Format::Akamai => {
            let key = akamai_key(&args.compat)?;
            let options = akamai_options(&args.compat);
            let salt = secret(&args.compat, names::AKAMAI_SALT)?;
            let fields = AkamaiFields {
                ip: args.compat.ip.clone(),
                start: Some(now),
                exp,
                acl: (!args.compat.acl.is_empty()).then(|| args.compat.acl.join("!")),
                ..AkamaiFields::default()
            };
            let url = (options.mode == AkamaiMode::Url).then_some(path.as_str());
            let algorithm = akamai_algorithm(&args.compat)?;
            let token = akamai::sign(algorithm, &key, &options, &fields, url, salt.as_deref());
            let encoded: String =
                percent_encoding::utf8_percent_encode(&token, percent_encoding::NON_ALPHANUMERIC)
                    .to_string();
            let q = match parts.query.filter(|q| !q.is_empty()) {
                Some(q) => format!("{q}&{}={encoded}", options.token_name),
                None => format!("{}={encoded}", options.token_name),
            };
            format!("{base}?{q}")
        }
    };
    input::print(&signed)
}

/// Runs `portcullis verify-url`.
pub fn run_verify(args: VerifyArgs) -> Result<(), Failure> {
    let parts = split_url(&args.url);
    let path = normalize_path(parts.path)
        .map_err(|e| Failure::Usage(format!("the URL's path is refused by the gate: {e}")))?;
    let now = args.now.unwrap_or_else(time::now);
    let report = match args.format {
        Format::SignedUrl => {
            let ring = ring(args.keys.as_deref())?;
            let request = LinkRequest {
                method: &args.method,
                path: &path,
                query: parts.query,
            };
            let v = link::verify(&ring, &request, args.ttl, now).map_err(Failure::LinkRejected)?;
            json!({
                "format": "signed_url",
                "kid": v.key_id,
                "method": v.fields.method,
                "path": v.fields.scope.text(),
                "cookie": v.fields.cookie,
                "exp": v.fields.exp,
                "expires_in_s": v.fields.exp - now,
                "forwarded_query": query::without(parts.query, &link::PARAMS),
            })
        }
        Format::Cloudflare => {
            let (key, options) = cloudflare_setup(&args.compat, args.ttl)?;
            let uri = with_query(parts.path, parts.query);
            let l = cloudflare::verify(key.as_bytes(), &uri, &options, now)
                .map_err(Failure::LinkRejected)?;
            json!({
                "format": "cloudflare_hmac_v0",
                "timestamp": l.timestamp,
                "exp": l.expires,
                "expires_in_s": l.expires - now,
            })
        }
        Format::Akamai => {
            let key = akamai_key(&args.compat)?;
            let options = akamai_options(&args.compat);
            let salt = secret(&args.compat, names::AKAMAI_SALT)?;
            let token = parts
                .query
                .and_then(|q| query::pairs(q).find(|p| query::name(p) == options.token_name))
                .map(|p| {
                    percent_encoding::percent_decode_str(query::value(p))
                        .decode_utf8_lossy()
                        .into_owned()
                })
                .ok_or(Failure::LinkRejected(
                    portcullis::signed::SignedUrlError::Missing,
                ))?;
            let has_acl = token.split('~').any(|f| f.starts_with("acl="));
            let options = AkamaiOptions {
                mode: if has_acl {
                    AkamaiMode::Acl
                } else {
                    AkamaiMode::Url
                },
                ..options
            };
            let keys = AkamaiKeys {
                algorithm: akamai_algorithm(&args.compat)?,
                key: &key,
                transition: None,
                salt: salt.as_deref(),
            };
            let f = akamai::verify(
                keys,
                &options,
                &token,
                path.as_str(),
                args.compat.ip.as_deref(),
                now,
            )
            .map_err(Failure::LinkRejected)?;
            json!({
                "format": "akamai_edgeauth2",
                "acl": f.acl,
                "exp": f.exp,
                "expires_in_s": f.exp - now,
            })
        }
    };
    input::print_json(&report)
}
