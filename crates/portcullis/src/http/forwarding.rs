//! What reaches the origin, and how its answer leaves: the header plan for a forwarded
//! request, the hop marker that stops a gate from forwarding to itself, and the cache
//! marking of a response to a credential-authorized request.
//!
//! The rule for request headers is one mechanism: every incoming header name is read the way
//! the most permissive server would read it ([`canonical`]: case-insensitive, `_` equal to
//! `-`, as CGI, WSGI, Rack and PHP map both to `HTTP_…`) and checked against the classes in
//! [`Dropped`]; what the origin needs to know about the client (its address, the scheme and
//! host it asked for) the gate then sets itself from what the platform knows. Everything here
//! is pure; the Worker applies the plans.

use serde_json::{json, Value};

use crate::codec::{b64, percent};
use crate::jwt::keyring::{Key, MAX_TAG_LEN};
use crate::jwt::mint::sign_compact;
use crate::jwt::verify::VerifiedToken;
use crate::routes::NormalizedPath;

/// How long an identity assertion lives, in seconds.
pub const ASSERTION_TTL: i64 = 60;

/// Prefix of every identity header; incoming ones are always removed.
pub const IDENTITY_HEADER_PREFIX: &str = "x-portcullis-";

/// The hop marker: the gate sets it on every request it forwards and refuses a request that
/// carries its own marker for that same method and URL (a loop: it would be forwarded again).
/// It lives in the reserved namespace, so no other spelling of it ever reaches the origin.
pub const HOP_HEADER: &str = "x-portcullis-hop";

/// Why an incoming header does not reach the origin as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// Named in `Connection` (RFC 9110 section 7.6.1): meant for the gate, not the origin.
    ConnectionOption,
    /// A connection-specific header (RFC 9110 section 7.6.1).
    HopByHop,
    /// `Authorization`, `Proxy-Authorization`, `DPoP` or `Cookie` (the cookie goes on without
    /// the token cookie).
    Credential,
    /// `Host`: the outbound URL sets it.
    Host,
    /// `X-Portcullis-*`: only the gate speaks in this namespace.
    Reserved,
    /// A method override: the origin must act on the method the gate authorized.
    MethodOverride,
    /// A routing, forwarding or client-address claim; the gate sets `X-Forwarded-*` itself.
    Forwarding,
    /// `Content-*` of a request forwarded without its body.
    Content,
}

const HOP_BY_HOP: [&str; 7] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
];

// `DPoP` proofs name the gate's URL and are spent here; the origin never needs one.
const CREDENTIALS: [&str; 4] = ["authorization", "proxy-authorization", "cookie", "dpop"];

const METHOD_OVERRIDES: [&str; 3] = [
    "x-http-method-override",
    "x-method-override",
    "x-http-method",
];

/// Headers by which a client claims a URL, host, scheme or address other than the one the
/// gate saw. `x-forwarded-*` and `x-original-*` are dropped as whole families.
const FORWARDING: [&str; 9] = [
    "forwarded",
    "x-rewrite-url",
    "x-host",
    "x-http-host-override",
    "x-real-ip",
    "x-client-ip",
    "client-ip",
    "true-client-ip",
    "x-cluster-client-ip",
];

const FORWARDING_FAMILIES: [&str; 2] = ["x-forwarded-", "x-original-"];

/// A header name as the most permissive server reads it: lower case, `_` as `-`.
pub fn canonical(name: &str) -> String {
    name.trim()
        .bytes()
        .map(|b| match b {
            b'_' => '-',
            b => b.to_ascii_lowercase() as char,
        })
        .collect()
}

/// The header names a `Connection` value lists, canonical (RFC 9110 section 7.6.1).
pub fn connection_options(connection: Option<&str>) -> Vec<String> {
    connection
        .unwrap_or("")
        .split(',')
        .map(canonical)
        .filter(|n| !n.is_empty())
        .collect()
}

/// Whether `Connection` lists `name`: then the header is for the gate alone, the origin never
/// sees it, so the gate must not decide on it either (a preflight whose
/// `Access-Control-Request-Method` is connection-specific is no preflight).
pub fn is_connection_option(connection: Option<&str>, name: &str) -> bool {
    connection_options(connection).contains(&canonical(name))
}

/// Whether an incoming header stays behind, and why. `options` is [`connection_options`];
/// `with_body` says whether the request body is forwarded.
pub fn dropped(name: &str, options: &[String], with_body: bool) -> Option<Dropped> {
    let name = canonical(name);
    let name = name.as_str();
    let family = |prefixes: &[&str]| prefixes.iter().any(|p| name.starts_with(p));
    if options.iter().any(|o| o == name) {
        Some(Dropped::ConnectionOption)
    } else if HOP_BY_HOP.contains(&name) {
        Some(Dropped::HopByHop)
    } else if CREDENTIALS.contains(&name) {
        Some(Dropped::Credential)
    } else if name == "host" {
        Some(Dropped::Host)
    } else if name.starts_with(IDENTITY_HEADER_PREFIX) {
        Some(Dropped::Reserved)
    } else if METHOD_OVERRIDES.contains(&name) {
        Some(Dropped::MethodOverride)
    } else if FORWARDING.contains(&name) || family(&FORWARDING_FAMILIES) {
        Some(Dropped::Forwarding)
    } else if !with_body && name.starts_with("content-") {
        Some(Dropped::Content)
    } else {
        None
    }
}

/// What the gate knows of an incoming request, for [`outbound_headers`].
#[derive(Debug, Clone, Copy)]
pub struct Inbound<'a> {
    /// The `Connection` header.
    pub connection: Option<&'a str>,
    /// The client's address as the platform reports it (`CF-Connecting-IP`).
    pub client_ip: Option<&'a str>,
    /// `scheme://authority` of the URL the client asked for.
    pub own_origin: &'a str,
    /// Whether the body is forwarded (not for a CORS preflight).
    pub with_body: bool,
    /// [`hop_marker`] of the outbound request.
    pub hop: &'a str,
}

/// The header plan for one forwarded request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    /// Incoming header names to delete, as received.
    pub delete: Vec<String>,
    /// Whether the incoming `Cookie` goes on (without the token cookie).
    pub keep_cookie: bool,
    /// Headers the gate sets after the deletions (names lower case).
    pub set: Vec<(&'static str, String)>,
}

/// The plan for the outbound headers, from the incoming header names. The identity headers
/// are added on top ([`crate::http::identity_headers`]).
pub fn outbound_headers<'n>(
    names: impl IntoIterator<Item = &'n str>,
    inbound: &Inbound<'_>,
) -> Outbound {
    let options = connection_options(inbound.connection);
    let mut delete = Vec::new();
    let mut keep_cookie = false;
    for name in names {
        match dropped(name, &options, inbound.with_body) {
            None => {}
            Some(why) => {
                keep_cookie |= why == Dropped::Credential && canonical(name) == "cookie";
                delete.push(name.to_owned());
            }
        }
    }
    let (scheme, host) = inbound
        .own_origin
        .split_once("://")
        .unwrap_or(("https", inbound.own_origin));
    let mut set = Vec::with_capacity(4);
    if let Some(ip) = inbound.client_ip {
        set.push(("x-forwarded-for", ip.trim().to_owned()));
    }
    set.push(("x-forwarded-proto", scheme.to_ascii_lowercase()));
    set.push(("x-forwarded-host", host.to_owned()));
    set.push((HOP_HEADER, inbound.hop.to_owned()));
    Outbound {
        delete,
        keep_cookie,
        set,
    }
}

/// The URL the gate forwards to, without the query: `ORIGIN_URL` (else the request's own
/// `scheme://authority`) and the normalized path. It is also the assertion's `htu`.
pub fn origin_target(origin_url: Option<&str>, own_origin: &str, path: &NormalizedPath) -> String {
    format!("{}{}", origin_url.unwrap_or(own_origin), path.as_str())
}

fn hop_input(method: &str, htu: &str) -> String {
    format!("portcullis-hop\n{method}\n{htu}")
}

/// The hop marker for a request the gate forwards: a MAC, under the origin key, of the
/// method and target URL. It names this gate (another gate, with another origin key, sees a
/// stranger's marker and forwards) and this request (a marker copied onto another request
/// means nothing), and is no secret: a client that sends it only gets its own request refused.
pub fn hop_marker(origin_key: &Key, method: &str, htu: &str) -> String {
    let mut tag = [0u8; MAX_TAG_LEN];
    let n = origin_key.tag(hop_input(method, htu).as_bytes(), &mut tag);
    b64::encode(&tag[..n])
}

/// Whether `received` (the incoming [`HOP_HEADER`], repeated fields joined with `,`) holds
/// the marker this gate would set when forwarding `method` to `htu`: the request is one this
/// gate already forwarded, and forwarding it again would loop. `origin_keys` is the whole
/// origin key ring: while a new signing key rolls out, a marker set by an isolate that still
/// signs with the old key is this gate's too.
pub fn is_loop<'k>(
    origin_keys: impl IntoIterator<Item = &'k Key> + Clone,
    method: &str,
    htu: &str,
    received: Option<&str>,
) -> bool {
    let Some(received) = received else {
        return false;
    };
    let input = hop_input(method, htu);
    received.split(',').any(|value| {
        b64::decode(value.trim()).is_ok_and(|tag| {
            origin_keys
                .clone()
                .into_iter()
                .any(|k| k.verify_tag(input.as_bytes(), &tag).is_ok())
        })
    })
}

/// The request headers that may have carried the credential of a request the gate
/// authorized, as `Vary` names them: `Authorization` when present, `Cookie` when present and
/// a token cookie is configured. None when no token authorized the request (a public route,
/// a preflight): only credentialed answers are marked private.
pub fn credential_headers(
    token_authorized: bool,
    authorization: Option<&str>,
    cookie: Option<&str>,
    cookie_name: Option<&str>,
) -> Vec<&'static str> {
    if !token_authorized {
        return Vec::new();
    }
    let mut names = Vec::with_capacity(2);
    if authorization.is_some() {
        names.push("Authorization");
    }
    if cookie.is_some() && cookie_name.is_some() {
        names.push("Cookie");
    }
    names
}

/// The headers to set on the origin's response to a credential-authorized request, so no
/// shared cache serves one caller's answer to another: `Cache-Control: private` unless the
/// origin chose its own, and `Vary` extended by each of `credential` it does not name yet
/// (`Vary: *` already matches nothing). Empty when the response can go as it is.
pub fn private_response_headers(
    cache_control: Option<&str>,
    vary: Option<&str>,
    credential: &[&str],
) -> Vec<(&'static str, String)> {
    let mut set = Vec::with_capacity(2);
    if cache_control.is_none() {
        set.push(("cache-control", "private".to_owned()));
    }
    let listed: Vec<&str> = vary
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    if !listed.contains(&"*") {
        let missing: Vec<&str> = credential
            .iter()
            .copied()
            .filter(|c| !listed.iter().any(|v| v.eq_ignore_ascii_case(c)))
            .collect();
        if !missing.is_empty() {
            let all: Vec<&str> = listed.into_iter().chain(missing).collect();
            set.push(("vary", all.join(", ")));
        }
    }
    set
}

/// A header-safe rendering of an identity value: printable ASCII kept, everything else
/// (and `%`) percent-encoded as UTF-8, so no claim can inject a header line. Leading and
/// trailing spaces are encoded too, since HTTP trims them from a field value: decoding the
/// header (`%XX` to bytes, then UTF-8) gives the claim exactly.
pub fn header_value(text: &str) -> String {
    percent::encode_header_value(text)
}

/// The revocation list a gate decided with, as the identity assertion reports it to the
/// origin (`rev_ver`, `rev_age`), so an origin can apply its own freshness rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListStamp {
    /// The writer's version the list was complete up to (0: a list the writer never
    /// stamped, e.g. before migration).
    pub version: u64,
    /// Seconds since the gate last confirmed that version was the head (from the writer's
    /// feed, or from the KV snapshot when the writer was unreachable).
    pub age_s: u64,
}

/// The identity headers for the origin (names lower case), assertion included. A header
/// exists exactly when its claim does: a token without `sub`, `scope` or `jti` gives no
/// header for it, never an empty one.
pub fn identity_headers(
    origin_key: &Key,
    token: &VerifiedToken,
    method: &str,
    htu: &str,
    now: i64,
    list: Option<ListStamp>,
) -> Vec<(&'static str, String)> {
    let c = &token.claims;
    let claims = [
        ("x-portcullis-subject", &c.sub),
        ("x-portcullis-scopes", &c.scope),
        ("x-portcullis-token-id", &c.jti),
    ];
    let mut headers: Vec<(&'static str, String)> = claims
        .into_iter()
        .filter_map(|(name, claim)| claim.as_deref().map(|v| (name, header_value(v))))
        .collect();
    headers.push((
        "x-portcullis-assertion",
        identity_assertion(origin_key, token, method, htu, now, list),
    ));
    headers
}

/// What every assertion the gate signs for the origin shares: the JOSE header (naming the
/// origin key's `kid` when it has one) and the payload binding it to this method and URL for
/// [`ASSERTION_TTL`] seconds. Each kind of assertion adds its own claims to the payload.
fn assertion_base(origin_key: &Key, method: &str, htu: &str, now: i64) -> (Value, Value) {
    let mut header = json!({ "alg": "HS256", "typ": "JWT" });
    if let Some(kid) = origin_key.kid() {
        header["kid"] = json!(kid);
    }
    let payload = json!({
        "iss": "portcullis",
        "htm": method,
        "htu": htu,
        "iat": now,
        "exp": now + ASSERTION_TTL,
    });
    (header, payload)
}

/// The identity assertion: an HS256 JWS the origin can check, binding the caller's `sub`,
/// `scope` and `jti` to this method and URL (`htm`, `htu` as in DPoP, RFC 9449), living
/// [`ASSERTION_TTL`] seconds. A claim the token lacks is left out, never `null`; so are
/// `rev_ver` and `rev_age` when no revocation list decided (a fail-open rule without one).
pub fn identity_assertion(
    origin_key: &Key,
    token: &VerifiedToken,
    method: &str,
    htu: &str,
    now: i64,
    list: Option<ListStamp>,
) -> String {
    let c = &token.claims;
    let (header, mut payload) = assertion_base(origin_key, method, htu, now);
    for (name, claim) in [("sub", &c.sub), ("scope", &c.scope), ("jti", &c.jti)] {
        if let Some(value) = claim {
            payload[name] = json!(value);
        }
    }
    if let Some(list) = list {
        payload["rev_ver"] = json!(list.version);
        payload["rev_age"] = json!(list.age_s);
    }
    sign_compact(origin_key, &header, &payload)
}

/// The identity assertion for a request a signed link let through: as
/// [`identity_assertion`], binding `htm` and `htu`, and naming the link's format (`auth`),
/// its key (`kid`, ring keys only) and its expiry (`link_exp`) instead of a caller.
pub fn signed_assertion(
    origin_key: &Key,
    grant: &crate::http::signed::SignedGrant,
    method: &str,
    htu: &str,
    now: i64,
) -> String {
    let (header, mut payload) = assertion_base(origin_key, method, htu, now);
    payload["auth"] = json!(grant.format);
    payload["link_exp"] = json!(grant.expires);
    if let Some(kid) = &grant.key_id {
        payload["kid"] = json!(kid);
    }
    sign_compact(origin_key, &header, &payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::keyring::Alg;
    use crate::routes::normalize_path;

    fn why(name: &str) -> Option<Dropped> {
        dropped(name, &[], true)
    }

    #[test]
    fn reserved_identity_headers_are_dropped_in_every_spelling() {
        for name in [
            "X-Portcullis-Subject",
            "x-portcullis-subject",
            "X_PORTCULLIS_SUBJECT",
            "x_Portcullis-Scopes",
            "X-PORTCULLIS_TOKEN_ID",
            "x-portcullis-anything",
            "X-Portcullis-Hop",
        ] {
            assert_eq!(why(name), Some(Dropped::Reserved), "{name}");
        }
        assert_eq!(why("x-portcullisx"), None);
    }

    #[test]
    fn method_overrides_are_dropped() {
        for name in [
            "X-HTTP-Method-Override",
            "x-method-override",
            "X-HTTP-Method",
            "X_HTTP_METHOD_OVERRIDE",
        ] {
            assert_eq!(why(name), Some(Dropped::MethodOverride), "{name}");
        }
        assert_eq!(why("X-Original-Method"), Some(Dropped::Forwarding));
    }

    #[test]
    fn routing_forwarding_and_address_claims_are_dropped() {
        for name in [
            "X-Original-URL",
            "X-Rewrite-URL",
            "X-Forwarded-Host",
            "X-Forwarded-For",
            "x-forwarded-proto",
            "X-Forwarded-Prefix",
            "X_Forwarded_Host",
            "Forwarded",
            "X-Real-IP",
            "True-Client-IP",
            "Client-IP",
        ] {
            assert_eq!(why(name), Some(Dropped::Forwarding), "{name}");
        }
    }

    #[test]
    fn credentials_hop_by_hop_and_host_are_dropped() {
        assert_eq!(why("Authorization"), Some(Dropped::Credential));
        assert_eq!(why("Proxy-Authorization"), Some(Dropped::Credential));
        assert_eq!(why("cookie"), Some(Dropped::Credential));
        assert_eq!(why("Transfer-Encoding"), Some(Dropped::HopByHop));
        assert_eq!(why("TE"), Some(Dropped::HopByHop));
        assert_eq!(why("Host"), Some(Dropped::Host));
        for kept in [
            "content-type",
            "accept",
            "x-request-id",
            "cf-ray",
            "user-agent",
        ] {
            assert_eq!(why(kept), None, "{kept}");
        }
    }

    #[test]
    fn headers_named_in_connection_are_dropped() {
        let options = connection_options(Some("close, X-Custom ,x_other,, Cookie"));
        assert_eq!(options, ["close", "x-custom", "x-other", "cookie"]);
        assert_eq!(
            dropped("X-Custom", &options, true),
            Some(Dropped::ConnectionOption)
        );
        assert_eq!(
            dropped("x-other", &options, true),
            Some(Dropped::ConnectionOption)
        );
        // Named in Connection, the cookie is not re-added either.
        assert_eq!(
            dropped("cookie", &options, true),
            Some(Dropped::ConnectionOption)
        );
        assert_eq!(dropped("accept", &options, true), None);
        let connection = Some("keep-alive, Access-Control-Request-Method");
        assert!(is_connection_option(
            connection,
            "access-control-request-method"
        ));
        assert!(!is_connection_option(connection, "origin"));
        assert!(!is_connection_option(None, "access-control-request-method"));
    }

    #[test]
    fn without_the_body_its_content_headers_stay_behind() {
        assert_eq!(
            dropped("Content-Length", &[], false),
            Some(Dropped::Content)
        );
        assert_eq!(dropped("content-type", &[], false), Some(Dropped::Content));
        assert_eq!(dropped("content-type", &[], true), None);
    }

    fn inbound<'a>(connection: Option<&'a str>, with_body: bool) -> Inbound<'a> {
        Inbound {
            connection,
            client_ip: Some("203.0.113.9"),
            own_origin: "https://gate.example:8443",
            with_body,
            hop: "HOP",
        }
    }

    #[test]
    fn the_plan_deletes_as_received_and_sets_forwarding_from_the_platform() {
        let names = [
            "accept",
            "X-Forwarded-For",
            "x_forwarded_host",
            "cookie",
            "authorization",
            "connection",
            "x-custom",
        ];
        let plan = outbound_headers(names, &inbound(Some("x-custom"), true));
        assert_eq!(
            plan.delete,
            [
                "X-Forwarded-For",
                "x_forwarded_host",
                "cookie",
                "authorization",
                "connection",
                "x-custom"
            ]
        );
        assert!(plan.keep_cookie);
        assert_eq!(
            plan.set,
            [
                ("x-forwarded-for", "203.0.113.9".to_owned()),
                ("x-forwarded-proto", "https".to_owned()),
                ("x-forwarded-host", "gate.example:8443".to_owned()),
                (HOP_HEADER, "HOP".to_owned()),
            ]
        );
        let plan = outbound_headers(["cookie"], &inbound(Some("cookie"), true));
        assert!(!plan.keep_cookie);
        let plan = outbound_headers(["content-length"], &inbound(None, false));
        assert_eq!(plan.delete, ["content-length"]);
    }

    fn key(seed: u8) -> Key {
        Key::new(Some("origin".into()), Alg::HS256, &[seed; 32]).unwrap()
    }

    #[test]
    fn a_marker_made_with_any_key_of_the_origin_ring_is_a_loop() {
        let (old, new) = (key(1), key(2));
        let marker = hop_marker(&old, "GET", "http://gate/a");
        assert!(is_loop([&new, &old], "GET", "http://gate/a", Some(&marker)));
        assert!(!is_loop([&new], "GET", "http://gate/a", Some(&marker)));
    }

    #[test]
    fn a_gate_recognizes_only_its_own_marker_for_the_same_request() {
        let k = key(1);
        let marker = hop_marker(&k, "GET", "http://gate/a");
        assert!(is_loop([&k], "GET", "http://gate/a", Some(&marker)));
        assert!(is_loop(
            [&k],
            "GET",
            "http://gate/a",
            Some(&format!("x, {marker}"))
        ));
        assert!(!is_loop([&k], "GET", "http://gate/a", None));
        assert!(!is_loop([&k], "POST", "http://gate/a", Some(&marker)));
        assert!(!is_loop([&k], "GET", "http://gate/b", Some(&marker)));
        assert!(!is_loop([&key(2)], "GET", "http://gate/a", Some(&marker)));
        assert!(!is_loop([&k], "GET", "http://gate/a", Some("not base64 ~")));
    }

    #[test]
    fn the_target_is_the_origin_or_the_request_s_own_origin_plus_the_path() {
        let path = normalize_path("/a/./b").unwrap();
        assert_eq!(origin_target(None, "http://gate", &path), "http://gate/a/b");
        assert_eq!(
            origin_target(Some("https://o.example"), "http://gate", &path),
            "https://o.example/a/b"
        );
    }

    #[test]
    fn credentialed_responses_are_private_and_vary_on_the_credential() {
        let auth = ["Authorization"];
        assert_eq!(
            private_response_headers(None, None, &auth),
            [
                ("cache-control", "private".to_owned()),
                ("vary", "Authorization".to_owned())
            ]
        );
        // The origin's own Cache-Control stands; its Vary is extended, not replaced.
        assert_eq!(
            private_response_headers(Some("public, max-age=60"), Some("Accept-Encoding"), &auth),
            [("vary", "Accept-Encoding, Authorization".to_owned())]
        );
        assert_eq!(
            private_response_headers(Some("no-store"), Some("accept, authorization"), &auth),
            []
        );
        assert_eq!(private_response_headers(Some("x"), Some("*"), &auth), []);
        assert_eq!(
            private_response_headers(None, None, &["Authorization", "Cookie"]),
            [
                ("cache-control", "private".to_owned()),
                ("vary", "Authorization, Cookie".to_owned())
            ]
        );
        assert_eq!(
            credential_headers(true, Some("Bearer x"), Some("a=1"), None),
            ["Authorization"]
        );
        assert_eq!(
            credential_headers(true, None, Some("pc=t"), Some("pc")),
            ["Cookie"]
        );
        assert!(credential_headers(false, Some("Bearer x"), Some("pc=t"), Some("pc")).is_empty());
    }

    #[test]
    fn header_values_cannot_inject_lines() {
        assert_eq!(header_value("alice\r\nX-Evil: 1"), "alice%0D%0AX-Evil: 1");
        assert_eq!(header_value("é%"), "%C3%A9%25");
    }

    fn verified(sub: Option<&str>, scope: Option<&str>, jti: Option<&str>) -> VerifiedToken {
        use crate::jwt::claims::Claims;
        use crate::jwt::keyring::Alg;
        VerifiedToken {
            header: crate::jwt::token::Header {
                alg: Alg::HS256,
                kid: None,
            },
            claims: Claims {
                iss: None,
                sub: sub.map(Into::into),
                aud: None,
                exp: 2_000,
                nbf: None,
                iat: None,
                iat_floor: None,
                jti: jti.map(Into::into),
                scope: scope.map(Into::into),
                extra: Default::default(),
            },
            key_id: None,
        }
    }

    #[test]
    fn identity_headers_exist_exactly_when_their_claims_do() {
        let key = Key::new(None, crate::jwt::keyring::Alg::HS256, &[7; 32]).unwrap();
        let names = |t: &VerifiedToken| -> Vec<&'static str> {
            identity_headers(&key, t, "GET", "https://o/x", 1_000, None)
                .into_iter()
                .map(|(n, _)| n)
                .collect()
        };
        let full = verified(Some(" bob "), Some("a b"), Some("j1"));
        assert_eq!(
            identity_headers(&key, &full, "GET", "https://o/x", 1_000, None)[..3],
            [
                ("x-portcullis-subject", "%20bob%20".to_owned()),
                ("x-portcullis-scopes", "a b".to_owned()),
                ("x-portcullis-token-id", "j1".to_owned()),
            ]
        );
        let bare = verified(None, None, None);
        assert_eq!(names(&bare), ["x-portcullis-assertion"]);

        // The assertion leaves absent claims out instead of carrying null.
        let assertion = identity_assertion(&key, &bare, "GET", "https://o/x", 1_000, None);
        let payload = payload_of(&assertion);
        assert_eq!(
            payload,
            json!({"iss": "portcullis", "htm": "GET", "htu": "https://o/x", "iat": 1_000, "exp": 1_060})
        );
        let list = ListStamp {
            version: 42,
            age_s: 3,
        };
        let assertion = identity_assertion(&key, &full, "GET", "https://o/x", 1_000, Some(list));
        let payload = payload_of(&assertion);
        assert_eq!(payload["sub"], " bob ");
        assert_eq!(
            (payload["rev_ver"].clone(), payload["rev_age"].clone()),
            (json!(42), json!(3))
        );
    }

    fn payload_of(assertion: &str) -> serde_json::Value {
        let payload = assertion.split('.').nth(1).unwrap();
        serde_json::from_slice(&crate::codec::b64::decode(payload).unwrap()).unwrap()
    }

    #[test]
    fn a_signed_link_assertion_names_the_link_instead_of_a_caller() {
        let grant = crate::http::signed::SignedGrant {
            format: "signed_url",
            key_id: Some("k1".into()),
            expires: 1_500,
            forward_query: None,
            strip_cookie: None,
            strip_header: None,
            set_cookie: None,
        };
        let assertion = signed_assertion(&key(1), &grant, "GET", "https://o/x", 1_000);
        let header = assertion.split('.').next().unwrap();
        let header: serde_json::Value =
            serde_json::from_slice(&crate::codec::b64::decode(header).unwrap()).unwrap();
        assert_eq!(
            header,
            json!({"alg": "HS256", "typ": "JWT", "kid": "origin"})
        );
        assert_eq!(
            payload_of(&assertion),
            json!({
                "iss": "portcullis", "htm": "GET", "htu": "https://o/x", "iat": 1_000,
                "exp": 1_060, "auth": "signed_url", "link_exp": 1_500, "kid": "k1"
            })
        );
        let grant = crate::http::signed::SignedGrant {
            key_id: None,
            ..grant
        };
        let assertion = signed_assertion(&key(1), &grant, "GET", "https://o/x", 1_000);
        assert!(payload_of(&assertion).get("kid").is_none());
    }

    #[test]
    fn header_values_keep_edge_spaces_encoded() {
        assert_eq!(header_value(" alice "), "%20alice%20");
        assert_eq!(header_value("  a b "), "%20%20a b%20");
        assert_eq!(header_value("a b"), "a b");
        assert_eq!(header_value("   "), "%20%20%20");
        assert_eq!(header_value(""), "");
    }
}
